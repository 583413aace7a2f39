/**
 * Browser mode's server: the built renderer over HTTP and the same handlers over a WebSocket, on 127.0.0.1 only.
 * A random per-run token is required for the page (query, then an HttpOnly SameSite cookie for its assets) and
 * for the WebSocket; the WebSocket also requires our own Origin, and every request our own Host (DNS rebinding).
 * Typed arrays cross the socket with src/shared/wire.ts. Electron-free (the entry is serve.ts).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { extname, join, normalize, resolve, sep } from 'node:path'
import { WebSocketServer, type WebSocket } from 'ws'
import type { EventChannel, EventPayloads, Handlers } from '../shared/ipc'
import { decodeMessage, encodeMessage } from '../shared/wire'
import { invokeHandler } from './handlers'

export interface ServerOptions {
  rendererDir: string
  /** Handlers to serve; built by the caller once the emitter exists (see `start`). */
  createHandlers(emit: <E extends EventChannel>(event: E, payload: EventPayloads[E]) => void): Handlers
  port?: number
  token?: string
}

export interface RunningServer {
  url: string
  origin: string
  port: number
  token: string
  close(): Promise<void>
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.wasm': 'application/wasm',
  '.woff2': 'font/woff2',
  '.ico': 'image/x-icon'
}
const COOKIE = 'robust_lens_token'
const MAX_MESSAGE_BYTES = 256 * 1024 * 1024

export function pageCsp(wsOrigin: string): string {
  return `default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; worker-src 'self' blob:; connect-src 'self' ${wsOrigin}`
}

function sameSecret(given: string | null | undefined, token: string): boolean {
  if (!given) return false
  const a = Buffer.from(given)
  const b = Buffer.from(token)
  return a.length === b.length && timingSafeEqual(a, b)
}

function cookieToken(req: IncomingMessage): string | null {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=')
    if (name === COOKIE) return value.join('=')
  }
  return null
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const token = options.token ?? randomBytes(24).toString('base64url')
  const root = resolve(options.rendererDir)
  const sockets = new Set<WebSocket>()
  const handlers = options.createHandlers((channel, payload) => {
    const frame = encodeMessage({ type: 'event', channel, payload })
    for (const socket of sockets) if (socket.readyState === socket.OPEN) socket.send(frame)
  })
  let port = 0
  const allowedHosts = (): string[] => [`127.0.0.1:${port}`, `localhost:${port}`]
  const allowedOrigins = (): string[] => allowedHosts().map((h) => `http://${h}`)

  async function page(res: ServerResponse): Promise<void> {
    const wsOrigin = `ws://127.0.0.1:${port}`
    const html = (await readFile(join(root, 'index.html'), 'utf8'))
      .replace("connect-src 'self'", `connect-src 'self' ${wsOrigin}`)
      .replace('</head>', `  <meta name="robust-lens-ws" content="${wsOrigin}/ws?token=${token}" />\n  </head>`)
    res.writeHead(200, {
      'Content-Type': CONTENT_TYPES['.html'],
      'Content-Security-Policy': pageCsp(wsOrigin),
      'Set-Cookie': `${COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`,
      'Cache-Control': 'no-store',
      'Referrer-Policy': 'no-referrer',
      'X-Content-Type-Options': 'nosniff'
    })
    res.end(html)
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!allowedHosts().includes(req.headers.host ?? '')) {
      res.writeHead(403).end('Forbidden: unexpected Host')
      return
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405).end('Method not allowed')
      return
    }
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`)
    const authorised = sameSecret(url.searchParams.get('token'), token) || sameSecret(cookieToken(req), token)
    if (!authorised) {
      res.writeHead(403, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Forbidden: open the URL printed by `npm run serve` (it carries the access token).')
      return
    }
    if (url.pathname === '/' || url.pathname === '/index.html') return page(res)
    const file = normalize(join(root, decodeURIComponent(url.pathname)))
    if (!file.startsWith(root + sep)) {
      res.writeHead(403).end('Forbidden')
      return
    }
    try {
      const body = await readFile(file)
      res.writeHead(200, {
        'Content-Type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
        'X-Content-Type-Options': 'nosniff'
      })
      res.end(req.method === 'HEAD' ? undefined : body)
    } catch {
      res.writeHead(404).end('Not found')
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500)
      res.end(String((error as Error).message))
    })
  })
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES })

  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`)
    const refuse = (why: string): void => {
      socket.end(`HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n${why}`)
    }
    if (url.pathname !== '/ws') return refuse('unknown endpoint')
    if (!allowedHosts().includes(req.headers.host ?? '')) return refuse('unexpected Host')
    if (!allowedOrigins().includes(req.headers.origin ?? '')) return refuse('unexpected Origin')
    if (!sameSecret(url.searchParams.get('token'), token)) return refuse('bad token')
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws)
      ws.on('close', () => sockets.delete(ws))
      ws.on('message', (data, isBinary) => {
        if (!isBinary) return ws.close(1003, 'binary frames only')
        void answer(ws, data as Buffer)
      })
    })
  })

  async function answer(ws: WebSocket, data: Buffer): Promise<void> {
    let id: number | null = null
    try {
      const message = decodeMessage(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)) as { type?: unknown; id?: unknown; channel?: unknown; args?: unknown }
      if (message?.type !== 'invoke' || typeof message.id !== 'number') throw new Error('expected an invoke message')
      id = message.id
      const value = await invokeHandler(handlers, message.channel, message.args)
      ws.send(encodeMessage({ type: 'result', id, ok: true, value }))
    } catch (error) {
      if (id === null) return ws.close(1008, 'malformed message')
      ws.send(encodeMessage({ type: 'result', id, ok: false, error: (error as Error).message ?? String(error) }))
    }
  }

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, '127.0.0.1', () => resolveListen())
  })
  port = (server.address() as AddressInfo).port
  const origin = `http://127.0.0.1:${port}`
  return {
    url: `${origin}/?token=${token}`,
    origin,
    port,
    token,
    async close() {
      for (const socket of sockets) socket.terminate()
      wss.close()
      await new Promise<void>((done) => server.close(() => done()))
    }
  }
}
