/**
 * Runs IN THE PAGE (bundled to an IIFE by global-setup, installed with page.addInitScript before any renderer
 * script): window.api from the real buildApi, over a Playwright binding to the real main handlers.
 */
import { buildApi } from '../src/preload/api'
import type { EventChannel, InvokeChannel } from '../src/shared/ipc'

declare global {
  interface Window {
    __e2eInvoke(channel: InvokeChannel, args: unknown[]): Promise<unknown>
    __e2eEmit(channel: EventChannel, payload: unknown): void
  }
}

const listeners = new Map<EventChannel, Set<(payload: unknown) => void>>()
window.__e2eEmit = (channel, payload) => listeners.get(channel)?.forEach((listener) => listener(payload))
// contextBridge hands the page a frozen copy too
Object.defineProperty(window, 'api', {
  value: Object.freeze(
    buildApi({
      invoke: (channel, args) => window.__e2eInvoke(channel, args),
      subscribe: (channel, listener) => {
        let set = listeners.get(channel)
        if (!set) listeners.set(channel, (set = new Set()))
        set.add(listener)
        return () => void set.delete(listener)
      }
    })
  ),
  writable: false,
  configurable: false
})
