import { beforeEach, describe, expect, it, vi } from 'vitest'

type Listener = (event: unknown, ...args: unknown[]) => Promise<unknown>
const registered = new Map<string, Listener>()
vi.mock('electron', () => ({
  ipcMain: {
    handle: (channel: string, listener: Listener) => registered.set(channel, listener),
    removeHandler: (channel: string) => registered.delete(channel)
  }
}))

const { registerIpc, isTrustedRendererUrl } = await import('../../src/main/ipc')
const { INVOKE_CHANNELS } = await import('../../src/shared/ipc')
const { createHandlers } = await import('../../src/main/handlers')
const { createMemorySettings } = await import('../../src/main/settings')
const { image, tempDir, writeModelSpec } = await import('./helpers')

const RENDERER_FILE = '/opt/Robust Lens/resources/app.asar/out/renderer/index.html'
const RENDERER_URL = 'file:///opt/Robust%20Lens/resources/app.asar/out/renderer/index.html'

function frameEvent(url: string, options: { top?: boolean } = {}) {
  const mainFrame = { url, parent: null }
  const frame = options.top === false ? { url, parent: mainFrame } : mainFrame
  return { senderFrame: frame, sender: { mainFrame } }
}

function setup() {
  registered.clear()
  const modelsDir = tempDir()
  writeModelSpec(modelsDir, 'std')
  const jobs = { start: vi.fn(() => ({ jobId: 'job-1' })), cancel: vi.fn(() => true), active: () => [] }
  const settings = createMemorySettings()
  const handlers = createHandlers({
    mode: 'desktop', version: '0', modelsDir, samplesDir: tempDir(), settings, jobs, compute: { size: 1, threads: 1, backend: async () => 'cpu' }
  })
  const unregister = registerIpc(handlers, { file: RENDERER_FILE })
  return { jobs, settings, unregister }
}

describe('ipc registration', () => {
  beforeEach(() => registered.clear())

  it('registers exactly the contract channels, and unregisters them', () => {
    const { unregister } = setup()
    expect([...registered.keys()].sort()).toEqual([...INVOKE_CHANNELS].sort())
    unregister()
    expect(registered.size).toBe(0)
  })

  it('forwards a valid call from the app renderer to the handler', async () => {
    const { jobs } = setup()
    const start = registered.get('jobs:start')!
    await expect(start(frameEvent(RENDERER_URL), { models: ['std'], images: image(), params: { method: 'predict' } })).resolves.toEqual({ jobId: 'job-1' })
    expect(jobs.start).toHaveBeenCalledTimes(1)
  })

  it('refuses calls from other pages, from sub-frames and from destroyed frames, without side effects', async () => {
    const { jobs, settings } = setup()
    const set = registered.get('settings:set')!
    await expect(set(frameEvent('https://evil.example/index.html'), { theme: 'dark' })).rejects.toThrow('untrusted sender')
    await expect(set(frameEvent('file:///tmp/other.html'), { theme: 'dark' })).rejects.toThrow('untrusted sender')
    await expect(set(frameEvent(RENDERER_URL, { top: false }), { theme: 'dark' })).rejects.toThrow('only the top frame')
    await expect(set({ senderFrame: null, sender: { mainFrame: null } }, { theme: 'dark' })).rejects.toThrow('frame is gone')
    const start = registered.get('jobs:start')!
    await expect(start(frameEvent('https://evil.example/'), { models: ['std'], images: image(), params: { method: 'predict' } })).rejects.toThrow('untrusted')
    expect(settings.get().theme).toBe('system')
    expect(jobs.start).not.toHaveBeenCalled()
  })

  it('rejects a malformed payload from the trusted renderer with a clear error, and nothing changes', async () => {
    const { jobs, settings } = setup()
    await expect(registered.get('settings:set')!(frameEvent(RENDERER_URL), { workers: -1 })).rejects.toThrow("Invalid payload for 'settings:set' at 0.workers")
    await expect(
      registered.get('jobs:start')!(frameEvent(RENDERER_URL), { models: ['std'], images: { data: new ArrayBuffer(12), shape: [1, 1, 1, 3] }, params: { method: 'predict' } })
    ).rejects.toThrow('expected a Float32Array of pixels')
    await expect(registered.get('jobs:cancel')!(frameEvent(RENDERER_URL), 'job-x')).rejects.toThrow('expected a job id')
    expect(settings.get().workers).toBeNull()
    expect(jobs.start).not.toHaveBeenCalled()
    expect(jobs.cancel).not.toHaveBeenCalled()
  })
})

describe('isTrustedRendererUrl', () => {
  it('accepts the built renderer file with a hash or query, and the dev server origin', () => {
    expect(isTrustedRendererUrl(`${RENDERER_URL}#/attack`, { file: RENDERER_FILE })).toBe(true)
    expect(isTrustedRendererUrl('http://localhost:5173/some/route', { devServerUrl: 'http://localhost:5173' })).toBe(true)
  })
  it('refuses look-alikes', () => {
    expect(isTrustedRendererUrl('file:///opt/Robust%20Lens/resources/app.asar/out/renderer/index.html.evil', { file: RENDERER_FILE })).toBe(false)
    expect(isTrustedRendererUrl('http://localhost:5174/', { devServerUrl: 'http://localhost:5173' })).toBe(false)
    expect(isTrustedRendererUrl('file://remote-host/opt/Robust%20Lens/resources/app.asar/out/renderer/index.html', { file: RENDERER_FILE })).toBe(false)
    expect(isTrustedRendererUrl('not a url', { file: RENDERER_FILE })).toBe(false)
    expect(isTrustedRendererUrl(RENDERER_URL, {})).toBe(false)
  })
})
