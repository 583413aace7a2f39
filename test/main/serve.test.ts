import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningServer } from '../../src/main/server'
import type { Services } from '../../src/main/services'
import { decodeMessage, encodeMessage } from '../../src/shared/wire'
import { image } from './helpers'
import { collect, httpGet, openSocket, startTestServer, type TestServer } from './serve-helpers'

describe('wire codec', () => {
  it('round-trips nested typed arrays of every kind, at any offset, as themselves', () => {
    const backing = new Float32Array([9, 1.5, -2, 3e-8, 9])
    const message = {
      type: 'result',
      value: {
        a: new Float32Array([0.25, 0.5]),
        view: backing.subarray(1, 4),
        bytes: new Uint8Array([1, 2, 3]),
        list: [{ c: new Uint8Array([255]) }, new Float32Array(0)],
        n: null,
        s: 'ü'
      }
    }
    const back = decodeMessage(encodeMessage(message)) as typeof message
    expect(back.value.a).toBeInstanceOf(Float32Array)
    expect([...back.value.a]).toEqual([0.25, 0.5])
    expect([...back.value.view]).toEqual([...backing.subarray(1, 4)])
    expect(back.value.bytes).toBeInstanceOf(Uint8Array)
    expect([...back.value.bytes]).toEqual([1, 2, 3])
    expect([...(back.value.list[0] as { c: Uint8Array }).c]).toEqual([255])
    expect(back.value.list[1]).toBeInstanceOf(Float32Array)
    expect(back.value.s).toBe('ü')
  })

  it('refuses ArrayBuffer, Map and Set, which the contract never carries', () => {
    expect(() => encodeMessage({ x: new ArrayBuffer(4) })).toThrow('cannot send ArrayBuffer')
    expect(() => encodeMessage({ x: new Map() })).toThrow('cannot send Map')
  })

  it('rejects frames whose typed arrays overrun the frame', () => {
    const frame = encodeMessage({ a: new Float32Array(4) })
    expect(() => decodeMessage(frame.subarray(0, frame.length - 8))).toThrow('overruns')
  })

  it('refuses a JSON part larger than the receiver allows, before parsing it', () => {
    const frame = encodeMessage({ s: 'x'.repeat(2000) })
    expect(() => decodeMessage(frame, 1000)).toThrow(/header of \d+ bytes is larger than 1000/)
    expect(decodeMessage(frame, 4000)).toEqual({ s: 'x'.repeat(2000) })
  })
})

describe('browser-mode server', () => {
  let test: TestServer
  let server: RunningServer
  let services: Services
  beforeAll(async () => {
    test = await startTestServer()
    ;({ server, services } = test)
  })
  afterAll(() => test.close())

  const get = (path: string, headers: Record<string, string> = {}) => httpGet(server.port, path, headers)
  const open = (origin = server.origin, token = server.token) => openSocket(server, origin, token)

  it('binds to 127.0.0.1 and serves the page only with the token, with the WebSocket origin in its CSP', async () => {
    expect(server.url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${server.port}/\\?token=`))
    expect((await get('/')).status).toBe(403)
    const page = await get(`/?token=${server.token}`)
    expect(page.status).toBe(200)
    expect(page.body).toContain(`<meta name="robust-lens-ws" content="ws://127.0.0.1:${server.port}/ws?token=${server.token}"`)
    expect(page.body).toContain(`connect-src 'self' ws://127.0.0.1:${server.port}`)
    expect(String(page.headers['content-security-policy'])).toContain(`connect-src 'self' ws://127.0.0.1:${server.port}`)
  })

  it('names its assets under the token (no cookie, which every port of the host would receive) and serves them only there', async () => {
    const page = await get(`/?token=${server.token}`)
    expect(page.headers['set-cookie']).toBeUndefined()
    expect(page.body).toContain(`<base href="/${server.token}/" />`)
    expect((await get('/assets/app.js')).status).toBe(403)
    expect((await get('/assets/app.js', { cookie: `robust_lens_token=${server.token}` })).status).toBe(403)
    expect((await get(`/wrong${server.token.slice(5)}/assets/app.js`)).status).toBe(403)
    const asset = await get(`/${server.token}/assets/app.js`)
    expect(asset.status).toBe(200)
    expect(asset.body).toBe('console.log(1)')
    expect((await get(`/${server.token}/`)).body).toContain('robust-lens-ws') // a reload of the page under its base
  })

  it('refuses foreign Host headers and paths outside the renderer', async () => {
    const t = server.token
    expect((await get(`/?token=${t}`, { host: 'evil.example' })).status).toBe(403) // DNS rebinding
    expect((await get(`/${t}/assets/app.js`, { host: `evil.example:${server.port}` })).status).toBe(403)
    expect((await get(`/${t}/..%2f..%2f..%2fetc%2fpasswd`)).status).toBe(403)
    expect((await get(`/${t}/%2e%2e/%2e%2e/etc/passwd`)).body).not.toContain('root:')
    expect((await get(`/${t}/assets/missing.js`)).status).toBe(404)
  })

  it('refuses to be framed: X-Frame-Options DENY on every answer, frame-ancestors none in the page CSP', async () => {
    const page = await get(`/?token=${server.token}`)
    expect(String(page.headers['content-security-policy'])).toContain("frame-ancestors 'none'")
    for (const answer of [page, await get(`/${server.token}/assets/app.js`), await get('/'), await get(`/${server.token}/nope`)]) {
      expect(answer.headers['x-frame-options']).toBe('DENY')
      expect(answer.headers['x-content-type-options']).toBe('nosniff')
    }
  })

  it('answers malformed percent-encoding in a path with 400, not 500', async () => {
    for (const path of ['%E0%A4%A', '%', 'assets/%ZZapp.js', '%C0%AF']) {
      const answer = await get(`/${server.token}/${path}`)
      expect(answer.status, path).toBe(400)
      expect(answer.body).toContain('percent-encoding')
    }
  })

  it('refuses a WebSocket with a wrong token or a foreign Origin', async () => {
    await expect(open(server.origin, 'wrong')).rejects.toThrow('403')
    await expect(open('https://evil.example')).rejects.toThrow('403')
    await expect(open('null')).rejects.toThrow('403')
  })

  it('answers invokes over the WebSocket, streams job events, and keeps typed arrays typed', async () => {
    const ws = await open()
    const { messages, wait } = collect(ws)
    ws.send(encodeMessage({ type: 'invoke', id: 1, channel: 'app:info', args: [] }))
    expect(await wait((m) => m.id === 1)).toMatchObject({ ok: true, value: { mode: 'browser', workers: 1 } })

    ws.send(encodeMessage({ type: 'invoke', id: 2, channel: 'jobs:start', args: [{ models: ['ok'], images: image(), params: { method: 'predict' } }] }))
    const started = (await wait((m) => m.id === 2)) as { value: { jobId: string } }
    const finished = (await wait((m) => m.type === 'event' && m.channel === 'job:finished')) as {
      payload: { jobId: string; results: { result: { predictions: { probabilities: Float32Array } } }[] }
    }
    expect(finished.payload.jobId).toBe(started.value.jobId)
    expect(finished.payload.results[0].result.predictions.probabilities).toBeInstanceOf(Float32Array)
    expect(messages.some((m) => m.type === 'event' && m.channel === 'job:progress')).toBe(true)

    // malformed: rejected with the contract's message, nothing started
    const active = services.jobs.active().length
    ws.send(encodeMessage({ type: 'invoke', id: 3, channel: 'jobs:start', args: [{ models: ['ok'], images: { data: [1, 2, 3], shape: [1, 1, 1, 3] }, params: { method: 'predict' } }] }))
    expect(await wait((m) => m.id === 3)).toMatchObject({ ok: false, error: expect.stringContaining('expected a Float32Array of pixels') })
    ws.send(encodeMessage({ type: 'invoke', id: 4, channel: 'fs:write', args: [] }))
    expect(await wait((m) => m.id === 4)).toMatchObject({ ok: false, error: "Unknown IPC channel 'fs:write'" })
    expect(services.jobs.active().length).toBe(active)
    ws.close()
  })

  it('closes a connection that sends garbage', async () => {
    const ws = await open()
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)))
    ws.send(new Uint8Array([1, 2, 3]))
    expect(await closed).toBe(1008)
  })
})
