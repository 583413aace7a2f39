/** A browser-mode server on 127.0.0.1 over the fake compute worker, and the raw clients the server tests use. */
import { mkdirSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { connect, type Socket } from 'node:net'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import WebSocket from 'ws'
import { startServer, type RunningServer } from '../../src/main/server'
import { createServices, type Services } from '../../src/main/services'
import { createMemorySettings } from '../../src/main/settings'
import { decodeMessage, encodeMessage } from '../../src/shared/wire'
import { FAKE_WORKER, tempDir, writeModelSpec } from './helpers'

export interface TestServer {
  server: RunningServer
  services: Services
  close(): Promise<void>
}

export async function startTestServer(): Promise<TestServer> {
  const rendererDir = tempDir()
  mkdirSync(join(rendererDir, 'assets'))
  writeFileSync(join(rendererDir, 'index.html'), `<html><head><meta http-equiv="Content-Security-Policy" content="default-src 'self'; connect-src 'self'"></head><body></body></html>`)
  writeFileSync(join(rendererDir, 'assets', 'app.js'), 'console.log(1)')
  const modelsDir = tempDir()
  for (const id of ['ok', 'slow']) writeModelSpec(modelsDir, id)
  let services!: Services
  const server = await startServer({
    rendererDir,
    createHandlers: (emit) => {
      services = createServices({
        mode: 'browser', version: 't', modelsDir, samplesDir: tempDir(), settings: createMemorySettings(), emit,
        workerFactory: () => new Worker(FAKE_WORKER), poolSize: 1
      })
      return services.handlers
    }
  })
  return {
    server,
    services,
    async close() {
      await server.close()
      await services.dispose()
    }
  }
}

export interface HttpAnswer {
  status: number
  body: string
  headers: Record<string, string | string[] | undefined>
}

export function httpGet(port: number, path: string, headers: Record<string, string> = {}): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      let body = ''
      res.on('data', (d: Buffer) => (body += d.toString()))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }))
    })
    req.on('error', reject)
    req.end()
  })
}

export function openSocket(server: RunningServer, origin = server.origin, token = server.token): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws?token=${token}`, { origin })
    ws.binaryType = 'nodebuffer'
    ws.once('open', () => resolve(ws))
    ws.once('error', reject)
  })
}

/** A plain TCP connection to the server (for requests and frames no well-behaved client sends). */
export function rawConnection(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket))
    socket.once('error', reject)
  })
}

/** The HTTP upgrade request a browser sends for the server's WebSocket. */
export function upgradeRequest(server: RunningServer, token = server.token): string {
  return [
    `GET /ws?token=${token} HTTP/1.1`,
    `Host: 127.0.0.1:${server.port}`,
    `Origin: ${server.origin}`,
    'Upgrade: websocket',
    'Connection: Upgrade',
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
    'Sec-WebSocket-Version: 13',
    '',
    ''
  ].join('\r\n')
}

/** A masked client frame, any header bits: `first` = FIN/RSV/opcode byte; `declaredLength` may lie about the payload. */
export function clientFrame(first: number, payload: Uint8Array, declaredLength = payload.length): Buffer {
  const mask = Buffer.from([1, 2, 3, 4])
  let header: Buffer
  if (declaredLength < 126) header = Buffer.from([first, 0x80 | declaredLength])
  else if (declaredLength < 65536) {
    header = Buffer.alloc(4)
    header[0] = first
    header[1] = 0x80 | 126
    header.writeUInt16BE(declaredLength, 2)
  } else {
    header = Buffer.alloc(10)
    header[0] = first
    header[1] = 0x80 | 127
    header.writeBigUInt64BE(BigInt(declaredLength), 2)
  }
  const body = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]))
  return Buffer.concat([header, mask, body])
}

/** Resolves with every decoded message the socket receives; `wait` polls for one. */
export function collect(ws: WebSocket) {
  const messages: Record<string, unknown>[] = []
  ws.on('message', (data: Buffer) => messages.push(decodeMessage(new Uint8Array(data)) as Record<string, unknown>))
  const wait = async (predicate: (m: Record<string, unknown>) => boolean, timeoutMs = 5000): Promise<Record<string, unknown>> => {
    const start = Date.now()
    for (;;) {
      const found = messages.find(predicate)
      if (found) return found
      if (Date.now() - start > timeoutMs) throw new Error('timeout waiting for a message')
      await new Promise((r) => setTimeout(r, 5))
    }
  }
  return { messages, wait }
}

/** A real request through a fresh connection: app:info answered. */
export async function answersRealRequest(server: RunningServer): Promise<unknown> {
  const ws = await openSocket(server)
  try {
    const { wait } = collect(ws)
    ws.send(encodeMessage({ type: 'invoke', id: 1, channel: 'app:info', args: [] }))
    return await wait((m) => m.id === 1)
  } finally {
    ws.close()
  }
}

export const closed = (ws: WebSocket): Promise<{ code: number; reason: string }> =>
  new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })))
