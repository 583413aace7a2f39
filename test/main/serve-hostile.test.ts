/**
 * Browser mode against clients that do not follow the protocol (issue 11, defects 1–3): any local process can open
 * a TCP connection to the server, so a reset, a malformed frame or an oversized message must end that connection
 * only, and every queue a connection can fill is bounded.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { MAX_INVOKE_MESSAGE_BYTES, MAX_MESSAGE_HEADER_BYTES } from '../../src/shared/ipc'
import { MAX_JOBS_PER_CONNECTION } from '../../src/main/server'
import { encodeMessage } from '../../src/shared/wire'
import { image } from './helpers'
import { answersRealRequest, clientFrame, closed, collect, openSocket, rawConnection, startTestServer, upgradeRequest, type TestServer } from './serve-helpers'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('browser mode survives hostile clients', () => {
  let test: TestServer
  // in `npm run serve` an uncaught exception ends the process; here the test runner would only log it
  const uncaught: unknown[] = []
  const record = (error: unknown): void => void uncaught.push(error)
  beforeAll(async () => {
    process.on('uncaughtException', record)
    test = await startTestServer()
  })
  afterAll(async () => {
    process.off('uncaughtException', record)
    await test.close()
  })
  afterEach(() => {
    const seen = uncaught.splice(0).map(String)
    expect(seen, 'uncaught exceptions (each one would end browser mode)').toEqual([])
  })

  it('survives refused upgrades whose client resets the connection (no token needed to try)', async () => {
    for (let i = 0; i < 5; i++) {
      for (const token of ['wrong-token-wrong-token', '']) {
        const socket = await rawConnection(test.server.port)
        socket.on('error', () => {})
        socket.write(upgradeRequest(test.server, token))
        await sleep(i) // reset before, while and after the refusal is written
        socket.resetAndDestroy()
      }
      const socket = await rawConnection(test.server.port)
      socket.on('error', () => {})
      socket.write(upgradeRequest(test.server, 'bad'))
      socket.once('data', () => socket.resetAndDestroy())
    }
    await sleep(50)
    expect(await answersRealRequest(test.server)).toMatchObject({ ok: true, value: { mode: 'browser' } })
  })

  it('answers an upgrade whose target is not a URL with 400, and carries on', async () => {
    const socket = await rawConnection(test.server.port)
    const answer = new Promise<string>((resolve) => socket.once('data', (d: Buffer) => resolve(d.toString())))
    socket.write(upgradeRequest(test.server).replace(/^GET \S+/, 'GET http://[::1'))
    expect(await answer).toMatch(/^HTTP\/1\.1 400/)
    socket.destroy()
    expect(await answersRealRequest(test.server)).toMatchObject({ ok: true })
  })

  it.each([
    ['a reserved bit set', clientFrame(0x80 | 0x40 | 0x2, new Uint8Array([1, 2, 3]))],
    ['an unknown opcode', clientFrame(0x80 | 0x3, new Uint8Array([1]))],
    ['a fragmented control frame', clientFrame(0x9, new Uint8Array(0))],
    ['an oversized control frame', clientFrame(0x80 | 0x9, new Uint8Array(200))],
    ['an invalid close code', clientFrame(0x80 | 0x8, new Uint8Array([0x03, 0xe7]))],
    ['invalid UTF-8 in a text frame', clientFrame(0x80 | 0x1, new Uint8Array([0xff, 0xfe]))]
  ])('closes only the connection that sends a frame with %s', async (_what, frame) => {
    const bystander = await openSocket(test.server)
    const ws = await openSocket(test.server)
    const gone = closed(ws)
    ;(ws as unknown as { _socket: { write(b: Buffer): void } })._socket.write(frame)
    const { code } = await gone
    expect([1002, 1007]).toContain(code)
    expect(bystander.readyState).toBe(bystander.OPEN)
    bystander.close()
    expect(await answersRealRequest(test.server)).toMatchObject({ ok: true })
  })

  it('refuses a message larger than the largest legitimate one as soon as its frame header says so', async () => {
    for (const declared of [300 * 1024 * 1024, MAX_INVOKE_MESSAGE_BYTES + 1]) {
      const ws = await openSocket(test.server)
      const gone = closed(ws)
      ;(ws as unknown as { _socket: { write(b: Buffer): void } })._socket.write(clientFrame(0x82, new Uint8Array(16), declared))
      expect((await gone).code).toBe(1009) // message too big, before a byte of it is buffered
    }
    expect(MAX_INVOKE_MESSAGE_BYTES).toBeLessThan(70 * 1024 * 1024)
    expect(await answersRealRequest(test.server)).toMatchObject({ ok: true })
  })

  it('refuses an oversized JSON part (a 2 MB settings write) without parsing it', async () => {
    const ws = await openSocket(test.server)
    const gone = closed(ws)
    const views = Object.fromEntries(Array.from({ length: 4000 }, (_, i) => [`v${i}`, { k: 'x'.repeat(250) }]))
    const message = encodeMessage({ type: 'invoke', id: 1, channel: 'settings:set', args: [{ views }] })
    expect(message.length).toBeGreaterThan(MAX_MESSAGE_HEADER_BYTES)
    ws.send(message)
    const { code, reason } = await gone
    expect(code).toBe(1008)
    expect(reason).toMatch(/header of \d+ bytes is larger than 1048576/)
    expect(test.services.handlers['settings:get']).toBeDefined()
    expect((await test.services.handlers['settings:get']()).views).toEqual({})
  })

  it(`refuses more than ${MAX_JOBS_PER_CONNECTION} unfinished jobs on one connection, with a clear error`, async () => {
    const ws = await openSocket(test.server)
    const { wait } = collect(ws)
    const request = { models: ['slow'], images: image(), params: { method: 'predict' } }
    for (let id = 1; id <= MAX_JOBS_PER_CONNECTION + 2; id++) ws.send(encodeMessage({ type: 'invoke', id, channel: 'jobs:start', args: [request] }))
    const answers = []
    for (let id = 1; id <= MAX_JOBS_PER_CONNECTION + 2; id++) answers.push(await wait((m) => m.id === id))
    expect(answers.filter((a) => a.ok === true)).toHaveLength(MAX_JOBS_PER_CONNECTION)
    expect(answers.slice(MAX_JOBS_PER_CONNECTION)).toEqual([
      expect.objectContaining({ ok: false, error: expect.stringContaining(`too many jobs running on this connection (at most ${MAX_JOBS_PER_CONNECTION})`) }),
      expect.objectContaining({ ok: false })
    ])
    // another connection has its own allowance; closing this one cancels its jobs
    const other = await openSocket(test.server)
    const otherMessages = collect(other)
    other.send(encodeMessage({ type: 'invoke', id: 1, channel: 'jobs:start', args: [{ ...request, models: ['ok'] }] }))
    expect(await otherMessages.wait((m) => m.id === 1)).toMatchObject({ ok: true })
    ws.close()
    for (let i = 0; i < 400 && test.services.jobs.active().length > 0; i++) await sleep(10)
    expect(test.services.jobs.active()).toEqual([])
    other.close()
  })
})
