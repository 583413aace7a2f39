/**
 * Browser mode (`npm run serve`): where no preload installed `window.api`, build it over the WebSocket that
 * serve.ts announces in a <meta name="robust-lens-ws"> tag (URL with the per-run token). Same buildApi as the
 * desktop preload; typed arrays travel with the wire codec of src/shared/wire.ts.
 */
import { buildApi } from '../../preload/api'
import type { EventChannel, InvokeChannel, RendererApi } from '../../shared/ipc'
import { decodeMessage, encodeMessage } from '../../shared/wire'

type ServerMessage =
  | { type: 'result'; id: number; ok: true; value: unknown }
  | { type: 'result'; id: number; ok: false; error: string }
  | { type: 'event'; channel: EventChannel; payload: unknown }

export function connectBrowserApi(url: string): RendererApi {
  const socket = new WebSocket(url)
  socket.binaryType = 'arraybuffer'
  const opened = new Promise<void>((resolve, reject) => {
    socket.addEventListener('open', () => resolve(), { once: true })
    socket.addEventListener('error', () => reject(new Error('cannot reach the Robust Lens server (is `npm run serve` still running?)')), { once: true })
  })
  opened.catch(() => {})
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>()
  const listeners = new Map<EventChannel, Set<(payload: unknown) => void>>()
  let nextId = 1

  socket.addEventListener('message', (event: MessageEvent<ArrayBuffer>) => {
    const message = decodeMessage(new Uint8Array(event.data)) as ServerMessage
    if (message.type === 'event') {
      listeners.get(message.channel)?.forEach((listener) => listener(message.payload))
      return
    }
    const call = pending.get(message.id)
    if (!call) return
    pending.delete(message.id)
    if (message.ok) call.resolve(message.value)
    else call.reject(new Error(message.error))
  })
  socket.addEventListener('close', () => {
    for (const call of pending.values()) call.reject(new Error('connection to the Robust Lens server closed'))
    pending.clear()
  })

  return buildApi({
    async invoke(channel: InvokeChannel, args: unknown[]) {
      await opened
      const id = nextId++
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject })
        socket.send(encodeMessage({ type: 'invoke', id, channel, args }))
      })
    },
    subscribe(channel, listener) {
      let set = listeners.get(channel)
      if (!set) listeners.set(channel, (set = new Set()))
      set.add(listener)
      return () => void set.delete(listener)
    }
  })
}

/** Install window.api over the WebSocket when the page was served by `npm run serve`. */
export function installBrowserApi(): void {
  if ((window as Partial<Window>).api) return
  const url = document.querySelector<HTMLMetaElement>('meta[name="robust-lens-ws"]')?.content
  if (!url) return
  Object.defineProperty(window, 'api', { value: Object.freeze(connectBrowserApi(url)), writable: false, configurable: false })
}
