/**
 * Runs IN THE PAGE (bundled to an IIFE by global-setup, installed with page.addInitScript before any renderer
 * script): window.api from the real buildApi, over a Playwright binding to the real main handlers.
 */
import { buildApi } from '../src/preload/api'
import type { EventChannel, InvokeChannel } from '../src/shared/ipc'
import { HARNESS_DELIVERY_MARK } from './harness-mark'

declare global {
  interface Window {
    __e2eInvoke(channel: InvokeChannel, args: unknown[]): Promise<unknown>
    __e2eEmit(channel: EventChannel, payload: unknown): void
  }
}

const listeners = new Map<EventChannel, Set<(payload: unknown) => void>>()
/**
 * In Electron an event reaches the page as a task of its own, its payload a structured clone. Here it arrives inside a
 * CDP evaluate that first decodes the payload from the protocol's JSON (for a 60-step attack result ~60–80 ms of
 * main-thread time that the app never pays). So the delivery task is marked as the harness's (renderer-tasks.ts leaves it
 * out) and the payload goes on to the app the way Electron hands it over: structured-cloned, in a task of its own.
 */
const toApp = new MessageChannel()
toApp.port1.onmessage = ({ data }: MessageEvent<{ channel: EventChannel; payload: unknown }>) =>
  listeners.get(data.channel)?.forEach((listener) => listener(data.payload))
window.__e2eEmit = (channel, payload) => {
  performance.mark(HARNESS_DELIVERY_MARK)
  performance.clearMarks(HARNESS_DELIVERY_MARK)
  toApp.port2.postMessage({ channel, payload })
}
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
