import { describe, expect, it, vi } from 'vitest'
import { buildApi, type Transport } from '../../src/preload/api'

function transport(overrides: Partial<Transport> = {}) {
  const listeners = new Map<string, Set<(p: unknown) => void>>()
  const t: Transport = {
    invoke: vi.fn(async (channel: string, args: unknown[]) => ({ channel, args })),
    subscribe: vi.fn((channel, listener) => {
      let set = listeners.get(channel)
      if (!set) listeners.set(channel, (set = new Set()))
      set.add(listener)
      return () => void set.delete(listener)
    }),
    ...overrides
  }
  const emit = (channel: string, payload: unknown) => listeners.get(channel)?.forEach((l) => l(payload))
  return { t, emit }
}

describe('buildApi (window.api for every transport)', () => {
  it('forwards contract channels with their arguments as an array', async () => {
    const { t } = transport()
    const api = buildApi(t)
    await api.invoke('jobs:cancel', 'job-3')
    expect(t.invoke).toHaveBeenCalledWith('jobs:cancel', ['job-3'])
  })

  it('refuses channels outside the contract before they reach the transport', async () => {
    const { t } = transport()
    const api = buildApi(t)
    await expect((api.invoke as (c: string) => Promise<unknown>)('__proto__')).rejects.toThrow("Unknown IPC channel '__proto__'")
    await expect((api.invoke as (c: string) => Promise<unknown>)('fs:read')).rejects.toThrow('Unknown IPC channel')
    expect(() => (api.on as (e: string, l: () => void) => void)('ipc-internal', () => {})).toThrow("Unknown event 'ipc-internal'")
    expect(t.invoke).not.toHaveBeenCalled()
    expect(t.subscribe).not.toHaveBeenCalled()
  })

  it("strips Electron's 'Error invoking remote method' prefix from rejections", async () => {
    const { t } = transport({
      invoke: async () => {
        throw new Error("Error invoking remote method 'jobs:start': Error: Invalid payload for 'jobs:start' at 0.images.data: expected a Float32Array of pixels")
      }
    })
    await expect(buildApi(t).invoke('app:info')).rejects.toThrow(/^Invalid payload for 'jobs:start' at 0\.images\.data/)
  })

  it('delivers events to listeners until they unsubscribe', () => {
    const { t, emit } = transport()
    const api = buildApi(t)
    const seen: unknown[] = []
    const off = api.on('job:failed', (p) => seen.push(p.reason))
    emit('job:failed', { jobId: 'job-1', reason: 'cancelled', message: '' })
    off()
    emit('job:failed', { jobId: 'job-2', reason: 'error', message: '' })
    expect(seen).toEqual(['cancelled'])
  })
})
