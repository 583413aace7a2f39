/**
 * `window.api` for every transport: Electron IPC (src/preload/index.ts), the browser-mode WebSocket
 * (src/preload/ws-transport.ts) and the Playwright bridge (e2e/bridge-page.ts). No Electron import and no runtime
 * dependency: a sandboxed preload cannot `require` packages, so this file only imports types from the contract.
 */
import type { EventChannel, EventPayloads, InvokeChannel, InvokeResults, RendererApi } from '../shared/ipc'

/** What a transport must do; buildApi adds the typing and the channel allow-lists. */
export interface Transport {
  invoke(channel: InvokeChannel, args: unknown[]): Promise<unknown>
  subscribe(channel: EventChannel, listener: (payload: unknown) => void): () => void
}

// `satisfies Record<…, true>` makes the compiler fail when the contract gains a channel that is not listed here.
const INVOKE_ALLOWED = {
  'app:info': true,
  'models:list': true,
  'samples:list': true,
  'samples:read': true,
  'jobs:start': true,
  'jobs:cancel': true,
  'settings:get': true,
  'settings:set': true,
  'settings:reset': true,
  'export:save': true
} as const satisfies Record<InvokeChannel, true>

const EVENTS_ALLOWED = {
  'job:progress': true,
  'job:finished': true,
  'job:failed': true
} as const satisfies Record<EventChannel, true>

/** Electron prefixes rejected invokes with "Error invoking remote method '<channel>': Error: "; drop the noise. */
const ELECTRON_PREFIX = /^Error invoking remote method '[^']*': (?:[A-Za-z]*Error: )?/

function cleanError(error: unknown): Error {
  if (error instanceof Error) return new Error(error.message.replace(ELECTRON_PREFIX, ''))
  return new Error(String(error))
}

export function buildApi(transport: Transport): RendererApi {
  return {
    async invoke<C extends InvokeChannel>(channel: C, ...args: unknown[]): Promise<InvokeResults[C]> {
      if (!Object.hasOwn(INVOKE_ALLOWED, channel)) throw new Error(`Unknown IPC channel '${String(channel)}'`)
      try {
        return (await transport.invoke(channel, args)) as InvokeResults[C]
      } catch (error) {
        throw cleanError(error)
      }
    },
    on<E extends EventChannel>(event: E, listener: (payload: EventPayloads[E]) => void): () => void {
      if (!Object.hasOwn(EVENTS_ALLOWED, event)) throw new Error(`Unknown event '${String(event)}'`)
      if (typeof listener !== 'function') throw new Error('listener must be a function')
      return transport.subscribe(event, (payload) => listener(payload as EventPayloads[E]))
    }
  } as RendererApi
}
