import { mkdirSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { startServer, type RunningServer } from '../../src/main/server'
import { createServices, type Services } from '../../src/main/services'
import { createMemorySettings } from '../../src/main/settings'
import { decodeMessage, encodeMessage } from '../../src/shared/wire'
import { FAKE_WORKER, image, tempDir, writeModelSpec } from './helpers'
import { Worker } from 'node:worker_threads'

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
})

describe('browser-mode server', () => {
  let server: RunningServer
  let services: Services
  beforeAll(async () => {
    const rendererDir = tempDir()
    mkdirSync(join(rendererDir, 'assets'))
    writeFileSync(join(rendererDir, 'index.html'), `<html><head><meta http-equiv="Content-Security-Policy" content="default-src 'self'; connect-src 'self'"></head><body></body></html>`)
    writeFileSync(join(rendererDir, 'assets', 'app.js'), 'console.log(1)')
    const modelsDir = tempDir()
    for (const id of ['ok', 'slow']) writeModelSpec(modelsDir, id)
    server = await startServer({
      rendererDir,
      createHandlers: (emit) => {
        services = createServices({
          mode: 'browser', version: 't', modelsDir, samplesDir: tempDir(), settings: createMemorySettings(), emit,
          workerFactory: () => new Worker(FAKE_WORKER), poolSize: 1
        })
        return services.handlers
      }
    })
  })
  afterAll(async () => {
    await server.close()
    await services.dispose()
  })

  function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: server.port, path, headers }, (res) => {
        let body = ''
        res.on('data', (d: Buffer) => (body += d.toString()))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }))
      })
      req.on('error', reject)
      req.end()
    })
  }

  function open(origin = server.origin, token = server.token): Promise<WebSocket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws?token=${token}`, { origin })
      ws.binaryType = 'nodebuffer'
      ws.once('open', () => resolve(ws))
      ws.once('error', reject)
    })
  }

  it('binds to 127.0.0.1 and serves the page only with the token, with the WebSocket origin in its CSP', async () => {
    expect(server.url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${server.port}/\\?token=`))
    expect((await get('/')).status).toBe(403)
    const page = await get(`/?token=${server.token}`)
    expect(page.status).toBe(200)
    expect(page.body).toContain(`<meta name="robust-lens-ws" content="ws://127.0.0.1:${server.port}/ws?token=${server.token}"`)
    expect(page.body).toContain(`connect-src 'self' ws://127.0.0.1:${server.port}`)
    expect(String(page.headers['content-security-policy'])).toContain(`connect-src 'self' ws://127.0.0.1:${server.port}`)
    expect(String(page.headers['set-cookie'])).toContain('HttpOnly; SameSite=Strict')
  })

  it('serves assets with the cookie only, refuses foreign Host headers and paths outside the renderer', async () => {
    const cookie = `robust_lens_token=${server.token}`
    expect((await get('/assets/app.js')).status).toBe(403)
    expect((await get('/assets/app.js', { cookie })).status).toBe(200)
    expect((await get(`/?token=${server.token}`, { host: 'evil.example' })).status).toBe(403) // DNS rebinding
    expect((await get('/..%2f..%2f..%2fetc%2fpasswd', { cookie })).status).toBe(403)
    expect((await get('/%2e%2e/%2e%2e/etc/passwd', { cookie })).body).not.toContain('root:')
  })

  it('refuses a WebSocket with a wrong token or a foreign Origin', async () => {
    await expect(open(server.origin, 'wrong')).rejects.toThrow('403')
    await expect(open('https://evil.example')).rejects.toThrow('403')
    await expect(open('null')).rejects.toThrow('403')
  })

  it('answers invokes over the WebSocket, streams job events, and keeps typed arrays typed', async () => {
    const ws = await open()
    const messages: Record<string, unknown>[] = []
    ws.on('message', (data: Buffer) => messages.push(decodeMessage(new Uint8Array(data)) as Record<string, unknown>))
    const wait = async (predicate: (m: Record<string, unknown>) => boolean) => {
      for (let i = 0; i < 400; i++) {
        const found = messages.find(predicate)
        if (found) return found
        await new Promise((r) => setTimeout(r, 10))
      }
      throw new Error('timeout')
    }
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
