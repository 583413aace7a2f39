/**
 * A bounded fuzz run against browser mode on 127.0.0.1 (issue 11): a few thousand malformed HTTP requests,
 * WebSocket frames and wire messages from a seeded generator, then the server must still answer a real request and
 * its memory must not have grown by more than what the limits allow. It stops by itself (fixed case counts, and a
 * time budget as a guard on a slow machine).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import type WebSocket from 'ws'
import { INVOKE_CHANNELS } from '../../src/shared/ipc'
import { encodeMessage } from '../../src/shared/wire'
import { image } from './helpers'
import { answersRealRequest, clientFrame, openSocket, rawConnection, startTestServer, upgradeRequest, type TestServer } from './serve-helpers'

/** mulberry32: the same cases on every run. */
function rng(seed: number) {
  let a = seed >>> 0
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (n: number): number => Math.floor(next() * n)
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]
  const bytes = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => int(256))
  return { next, int, pick, bytes }
}

const HTTP_CASES = 300
const FRAME_CASES = 700
const MESSAGE_CASES = 2500
const BUDGET_MS = 45_000

function gcNow(): void {
  setFlagsFromString('--expose-gc')
  ;(runInNewContext('gc') as () => void)()
}

describe('browser mode under a fuzzer', () => {
  let test: TestServer
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

  it('stays up, answers a real request and keeps its memory bounded after thousands of malformed inputs', async () => {
    const r = rng(20261202)
    const started = Date.now()
    const inBudget = (): boolean => Date.now() - started < BUDGET_MS
    const { server } = test
    gcNow()
    const before = process.memoryUsage()
    const counts = { http: 0, frames: 0, messages: 0, reconnects: 0 }

    // 1. raw HTTP: garbage request lines and headers, bad upgrades, resets at random points
    const lines = [
      () => `GET /${server.token}/%${String.fromCharCode(65 + r.int(26))}${r.int(10)} HTTP/1.1`,
      () => `GET http://[${r.int(99)} HTTP/1.1`,
      () => `${r.pick(['POST', 'PUT', 'DELETE', 'OPTIONS', 'G\u0000T'])} / HTTP/1.1`,
      () => `GET /${'a'.repeat(r.int(20000))} HTTP/1.1`,
      () => Buffer.from(r.bytes(1 + r.int(200))).toString('latin1'),
      () => upgradeRequest(server, r.pick(['', 'x', server.token.slice(1)])).split('\r\n')[0]
    ]
    for (let i = 0; i < HTTP_CASES && inBudget(); i++) {
      const socket = await rawConnection(server.port)
      socket.on('error', () => {})
      const head = [r.pick(lines)(), `Host: ${r.pick([`127.0.0.1:${server.port}`, 'evil.example', ''])}`]
      if (r.next() < 0.5) head.push('Upgrade: websocket', 'Connection: Upgrade', 'Sec-WebSocket-Version: 13', `Sec-WebSocket-Key: ${r.pick(['dGhlIHNhbXBsZSBub25jZQ==', '', 'x'])}`, `Origin: ${server.origin}`)
      socket.write(head.join('\r\n') + (r.next() < 0.8 ? '\r\n\r\n' : ''))
      if (r.next() < 0.5) socket.resetAndDestroy()
      else setTimeout(() => socket.destroy(), r.int(5))
      counts.http++
    }

    // 2. raw frames on an upgraded connection: random header bits, opcodes, lengths that lie, truncation
    const frameSocket = async (): Promise<WebSocket> => {
      const ws = await openSocket(server)
      ws.on('error', () => {})
      return ws
    }
    let ws = await frameSocket()
    for (let i = 0; i < FRAME_CASES && inBudget(); i++) {
      if (ws.readyState !== ws.OPEN) {
        ws = await frameSocket()
        counts.reconnects++
      }
      const payload = r.bytes(r.int(300))
      const declared = r.pick([payload.length, payload.length + r.int(10), r.int(2 ** 31), 2 ** 40])
      const frame = clientFrame(r.int(256), payload, declared)
      const raw = (ws as unknown as { _socket: { write(b: Buffer): void } })._socket
      raw.write(r.next() < 0.2 ? frame.subarray(0, r.int(frame.length)) : frame)
      counts.frames++
      if (r.next() < 0.3) await new Promise((resolve) => setTimeout(resolve, 1))
    }
    ws.terminate()

    // 3. wire messages: random bytes, broken headers, and well-formed invokes with hostile arguments
    const hostileValues: unknown[] = [
      null, -1, 1e308, Number.MAX_SAFE_INTEGER + 2, '', 'x'.repeat(5000), '__proto__', 'constructor', [], {}, [[[[[]]]]],
      { __proto__: { polluted: true } }, { constructor: { prototype: { polluted: true } } }, new Float32Array(7), new Uint8Array(3), new Float64Array(2)
    ]
    const argsFor = (): unknown[] => {
      const base: unknown[][] = [
        [],
        [{ models: ['ok'], images: image(), params: { method: r.pick(['predict', 'saliency', 'attack', 'nope']) } }],
        [{ models: [r.pick(hostileValues)], images: { data: r.pick(hostileValues), shape: [1, 32, 32, 3] }, params: r.pick(hostileValues) }],
        [{ views: { [r.pick(['__proto__', 'constructor', 'saliency'])]: { smoothing: r.pick(hostileValues) } }, theme: r.pick(hostileValues) }],
        [r.pick(hostileValues), r.pick(hostileValues)],
        [{ suggestedName: r.pick(['../x', 'a.png', '']), kind: 'png', data: r.pick(hostileValues) }]
      ]
      return r.pick(base)
    }
    let socket = await frameSocket()
    for (let i = 0; i < MESSAGE_CASES && inBudget(); i++) {
      if (socket.readyState !== socket.OPEN) {
        socket = await frameSocket()
        counts.reconnects++
      }
      const kind = r.int(10)
      let bytes: Uint8Array
      if (kind === 0) bytes = r.bytes(r.int(64))
      else if (kind === 1) {
        bytes = encodeMessage({ type: 'invoke', id: i, channel: 'app:info', args: [] })
        new DataView(bytes.buffer).setUint32(0, r.pick([0, 2 ** 32 - 1, bytes.length, r.int(1000)]), true)
      } else if (kind === 2) bytes = encodeMessage(r.pick([{ type: 'result', id: i }, { type: 'invoke', id: 'x' }, { type: 'invoke', id: 1.5 }, null, 7]))
      else {
        const channel = r.next() < 0.9 ? r.pick(INVOKE_CHANNELS) : r.pick(['__proto__', 'constructor', 'toString', 'fs:read'])
        try {
          bytes = encodeMessage({ type: 'invoke', id: i, channel, args: r.next() < 0.1 ? r.pick(hostileValues) : argsFor() })
        } catch {
          continue
        }
      }
      socket.send(r.next() < 0.05 ? 'text frame' : bytes)
      counts.messages++
      if (i % 50 === 0) await new Promise((resolve) => setTimeout(resolve, 2))
    }
    socket.close()
    // nothing a malformed message could start keeps running
    for (const jobId of test.services.jobs.active()) await test.services.handlers['jobs:cancel'](jobId)

    expect(uncaught.map(String), 'uncaught exceptions (each one would end browser mode)').toEqual([])
    expect(await answersRealRequest(server)).toMatchObject({ ok: true, value: { mode: 'browser' } })
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect(Date.now() - started).toBeLessThan(BUDGET_MS + 10_000)
    expect(counts.http + counts.frames + counts.messages).toBeGreaterThan(1000)
    for (let i = 0; i < 200 && test.services.jobs.active().length > 0; i++) await new Promise((resolve) => setTimeout(resolve, 10))
    gcNow()
    const after = process.memoryUsage()
    const grownMb = (after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers) / 2 ** 20
    console.log(`fuzz: ${JSON.stringify(counts)} in ${Date.now() - started} ms; heap + array buffers grew ${grownMb.toFixed(1)} MB`)
    expect(grownMb).toBeLessThan(64)
  })
})
