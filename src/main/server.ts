/**
 * Browser mode's server: the built renderer over HTTP and the same handlers over a WebSocket, on 127.0.0.1 only.
 * A random per-run token is the credential: the page is served at `/?token=…` and names its assets under
 * `/<token>/` (a <base> element), the WebSocket takes it in its query. No cookie: browsers send cookies to every
 * port of a host, so a cookie would hand the token to any other local web server the user visits. The WebSocket
 * also requires our own Origin, and every request our own Host (DNS rebinding). Any local process can connect,
 * so every input is bounded (docs/security.md): message size, JSON size, jobs and pending calls per connection; a
 * broken socket or frame closes that connection only. Typed arrays cross the socket with src/shared/wire.ts.
 * Electron-free (the entry is serve.ts).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { extname, join, normalize, resolve, sep } from 'node:path'
import { WebSocketServer, type WebSocket } from 'ws'
import type { Duplex } from 'node:stream'
import { MAX_INVOKE_MESSAGE_BYTES, MAX_MESSAGE_HEADER_BYTES, type EventChannel, type EventPayloads, type Handlers } from '../shared/ipc'
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
/**
 * Jobs one connection may have started and not yet seen end. The renderer runs one job per JobRunner and mounts at
 * most five at once (Top5 + the Saliency view's three); a cancelled job counts until its job:failed arrives. Each
 * queued job holds its images (at most MAX_BATCH_VALUES float32 = 38.5 MB), so 16 bound that memory at ~616 MB.
 */
export const MAX_JOBS_PER_CONNECTION = 16
/**
 * Invokes of one connection being answered at once. Beyond this the server stops reading the socket until one
 * finishes (backpressure, nothing is refused): each pending call holds its decoded message.
 */
export const MAX_PENDING_INVOKES = 8

export function pageCsp(wsOrigin: string): string {
  return `default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; worker-src 'self' blob:; connect-src 'self' ${wsOrigin}; base-uri 'self'; frame-ancestors 'none'`
}

/** Sent with every HTTP answer: no framing (clickjacking), no MIME sniffing, no referrer (the page URL holds the token). */
const COMMON_HEADERS = { 'X-Frame-Options': 'DENY', 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer' } as const

function sameSecret(given: string | null | undefined, token: string): boolean {
  if (!given) return false
  const a = Buffer.from(given)
  const b = Buffer.from(token)
  return a.length === b.length && timingSafeEqual(a, b)
}

/** The request target as a URL, or null when it is not one (then the request is answered 400). */
function requestUrl(req: IncomingMessage, port: number): URL | null {
  try {
    return new URL(req.url ?? '/', `http://127.0.0.1:${port}`)
  } catch {
    return null
  }
}

interface Connection {
  /** Jobs this connection started that have not ended yet. */
  jobs: Set<string>
  /** jobs:start calls being answered (they count against the limit before their job id is known). */
  starting: number
  pending: number
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const token = options.token ?? randomBytes(24).toString('base64url')
  if (!/^[A-Za-z0-9_-]{16,}$/.test(token)) throw new Error('the access token must be at least 16 characters of A-Z a-z 0-9 _ -')
  const root = resolve(options.rendererDir)
  const sockets = new Map<WebSocket, Connection>()
  // jobs that ended recently: one that fails at once can end before its start's answer is counted
  const ended = new Set<string>()
  const handlers = options.createHandlers((channel, payload) => {
    if (channel === 'job:finished' || channel === 'job:failed') {
      const { jobId } = payload as EventPayloads['job:finished' | 'job:failed']
      for (const connection of sockets.values()) connection.jobs.delete(jobId)
      ended.add(jobId)
      if (ended.size > 1024) ended.delete(ended.values().next().value as string)
    }
    const frame = encodeMessage({ type: 'event', channel, payload })
    for (const socket of sockets.keys()) if (socket.readyState === socket.OPEN) socket.send(frame)
  })
  let port = 0
  const allowedHosts = (): string[] => [`127.0.0.1:${port}`, `localhost:${port}`]
  const allowedOrigins = (): string[] => allowedHosts().map((h) => `http://${h}`)

  const send = (res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void => {
    res.writeHead(status, { ...COMMON_HEADERS, 'Content-Type': 'text/plain; charset=utf-8', ...headers }).end(body)
  }

  async function page(res: ServerResponse): Promise<void> {
    const wsOrigin = `ws://127.0.0.1:${port}`
    // the token as the first path segment of every asset: relative URLs (the built page's ./assets/…, the dynamic
    // imports, CSS url()s) all resolve under it, so each asset request carries the credential of this instance
    const html = (await readFile(join(root, 'index.html'), 'utf8'))
      .replace('<head>', `<head>\n    <base href="/${token}/" />`)
      .replace("connect-src 'self'", `connect-src 'self' ${wsOrigin}`)
      .replace('</head>', `  <meta name="robust-lens-ws" content="${wsOrigin}/ws?token=${token}" />\n  </head>`)
    res.writeHead(200, {
      ...COMMON_HEADERS,
      'Content-Type': CONTENT_TYPES['.html'],
      'Content-Security-Policy': pageCsp(wsOrigin),
      'Cache-Control': 'no-store'
    })
    res.end(html)
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!allowedHosts().includes(req.headers.host ?? '')) return send(res, 403, 'Forbidden: unexpected Host')
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'Method not allowed')
    const url = requestUrl(req, port)
    if (!url) return send(res, 400, 'Bad request')
    const denied = 'Forbidden: open the URL printed by `npm run serve` (it carries the access token).'
    if (url.pathname === '/' || url.pathname === '/index.html') {
      return sameSecret(url.searchParams.get('token'), token) ? page(res) : send(res, 403, denied)
    }
    const [, first, ...rest] = url.pathname.split('/')
    if (!sameSecret(first, token)) return send(res, 403, denied)
    let relative: string
    try {
      relative = decodeURIComponent(rest.join('/'))
    } catch {
      return send(res, 400, 'Bad request: malformed percent-encoding in the path')
    }
    if (relative === '' || relative === 'index.html') return page(res)
    const file = normalize(join(root, relative))
    if (!file.startsWith(root + sep) || relative.includes('\0')) return send(res, 403, 'Forbidden')
    let body: Buffer
    try {
      body = await readFile(file)
    } catch {
      return send(res, 404, 'Not found')
    }
    res.writeHead(200, { ...COMMON_HEADERS, 'Content-Type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream' })
    res.end(req.method === 'HEAD' ? undefined : body)
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, COMMON_HEADERS)
      res.end(String((error as Error).message))
    })
  })
  // a client that resets mid-request: drop it (Node's default answers 400 on a socket that may be gone)
  server.on('clientError', (_error, socket: Duplex) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n')
    else socket.destroy()
  })
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_INVOKE_MESSAGE_BYTES })

  server.on('upgrade', (req, socket: Duplex, head) => {
    // a peer that resets the connection makes the socket emit 'error'; unheard, that would end the process
    socket.on('error', () => socket.destroy())
    const refuse = (status: string, why: string): void => {
      socket.end(`HTTP/1.1 ${status}\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n${why}`)
    }
    const url = requestUrl(req, port)
    if (!url) return refuse('400 Bad Request', 'bad request')
    if (url.pathname !== '/ws') return refuse('403 Forbidden', 'unknown endpoint')
    if (!allowedHosts().includes(req.headers.host ?? '')) return refuse('403 Forbidden', 'unexpected Host')
    if (!allowedOrigins().includes(req.headers.origin ?? '')) return refuse('403 Forbidden', 'unexpected Origin')
    if (!sameSecret(url.searchParams.get('token'), token)) return refuse('403 Forbidden', 'bad token')
    wss.handleUpgrade(req, socket, head, (ws) => {
      const connection: Connection = { jobs: new Set(), starting: 0, pending: 0 }
      sockets.set(ws, connection)
      // a malformed frame (bad opcode, reserved bit, oversized message…): ws closes this connection; nothing else
      ws.on('error', () => ws.terminate())
      ws.on('close', () => {
        sockets.delete(ws)
        // nobody is left to receive these jobs' results
        for (const jobId of connection.jobs) void handlers['jobs:cancel'](jobId).catch(() => {})
      })
      ws.on('message', (data, isBinary) => {
        if (!isBinary) return ws.close(1003, 'binary frames only')
        connection.pending++
        if (connection.pending >= MAX_PENDING_INVOKES) ws.pause()
        void answer(ws, connection, data as Buffer).finally(() => {
          connection.pending--
          if (connection.pending < MAX_PENDING_INVOKES && ws.isPaused) ws.resume()
        })
      })
    })
  })

  async function answer(ws: WebSocket, connection: Connection, data: Buffer): Promise<void> {
    let id: number | null = null
    try {
      const message = decodeMessage(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), MAX_MESSAGE_HEADER_BYTES) as { type?: unknown; id?: unknown; channel?: unknown; args?: unknown }
      if (message?.type !== 'invoke' || !Number.isSafeInteger(message.id)) throw new Error('expected an invoke message')
      id = message.id as number
      let value: unknown
      if (message.channel === 'jobs:start') {
        if (connection.jobs.size + connection.starting >= MAX_JOBS_PER_CONNECTION) {
          throw new Error(`too many jobs running on this connection (at most ${MAX_JOBS_PER_CONNECTION}); cancel one or wait for it to finish`)
        }
        connection.starting++
        try {
          value = await invokeHandler(handlers, message.channel, message.args)
        } finally {
          connection.starting--
        }
        const { jobId } = value as { jobId: string }
        if (!ended.has(jobId)) connection.jobs.add(jobId)
        // the connection closed while the job started: nobody will receive its result
        if (ws.readyState !== ws.OPEN) void handlers['jobs:cancel'](jobId).catch(() => {})
      } else {
        value = await invokeHandler(handlers, message.channel, message.args)
      }
      if (ws.readyState === ws.OPEN) ws.send(encodeMessage({ type: 'result', id, ok: true, value }))
    } catch (error) {
      if (ws.readyState !== ws.OPEN) return
      // close reasons are at most 123 bytes
      if (id === null) return ws.close(1008, `malformed message: ${(error as Error).message}`.slice(0, 120))
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
      for (const socket of sockets.keys()) socket.terminate()
      wss.close()
      await new Promise<void>((done) => server.close(() => done()))
    }
  }
}
