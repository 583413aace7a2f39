/**
 * The desktop shell (src/main/index.ts) and its preload (src/preload/index.ts) against a mocked `electron`: the
 * Electron binary cannot run in CI, so the security settings are checked where they are made. A regression in the
 * window's webPreferences, the CSP, the navigation / window-open / webview / permission guards, the IPC sender check
 * or the API the preload exposes fails here.
 */
import { beforeAll, describe, expect, it, vi } from 'vitest'
import { INVOKE_CHANNELS } from '../../src/shared/ipc'

type Listener = (...args: unknown[]) => unknown
const on = () => {
  const listeners = new Map<string, Listener[]>()
  return {
    listeners,
    on: vi.fn((event: string, listener: Listener) => void listeners.set(event, [...(listeners.get(event) ?? []), listener])),
    once: vi.fn((event: string, listener: Listener) => void listeners.set(event, [...(listeners.get(event) ?? []), listener])),
    emit: (event: string, ...args: unknown[]) => (listeners.get(event) ?? []).map((l) => l(...args))
  }
}

const electron = vi.hoisted(() => ({}) as Record<string, unknown>)
vi.mock('electron', () => ({ ...electron, default: electron }))
vi.mock('../../src/main/compute/worker?nodeWorker', () => ({ default: vi.fn() }))
vi.mock('../../src/main/settings', async () => {
  const { createMemorySettings } = await vi.importActual<typeof import('../../src/main/settings')>('../../src/main/settings')
  return { openElectronSettings: async () => createMemorySettings() }
})
vi.mock('../../src/main/services', () => ({
  createServices: () => ({
    handlers: Object.fromEntries(
      ['app:info', 'models:list', 'samples:list', 'samples:read', 'jobs:start', 'jobs:cancel', 'settings:get', 'settings:set', 'settings:reset', 'export:save'].map((c) => [c, vi.fn(async () => `handled ${c}`)])
    ),
    dispose: vi.fn(async () => {})
  })
}))

// ───────────── the mocked electron main-process API ─────────────
const appEvents = on()
let ready!: () => void
const windows: { options: Record<string, unknown>; loaded: string[]; events: ReturnType<typeof on> }[] = []
const session = {
  webRequest: { onHeadersReceived: vi.fn() },
  setPermissionRequestHandler: vi.fn(),
  setPermissionCheckHandler: vi.fn()
}
const ipcHandlers = new Map<string, Listener>()
const shell = { openExternal: vi.fn() }
const exposed: [string, unknown][] = []
const ipcRenderer = { invoke: vi.fn(async (channel: string) => `reply ${channel}`), on: vi.fn(), removeListener: vi.fn() }
Object.assign(electron, {
  contextBridge: { exposeInMainWorld: vi.fn((key: string, api: unknown) => void exposed.push([key, api])) },
  ipcRenderer,
  app: {
    isPackaged: true,
    enableSandbox: vi.fn(),
    requestSingleInstanceLock: vi.fn(() => true),
    whenReady: () => new Promise<void>((resolve) => (ready = resolve)),
    on: appEvents.on,
    getPath: (name: string) => `/tmp/${name}`,
    getVersion: () => '0.0.0-test',
    quit: vi.fn(),
    exit: vi.fn()
  },
  BrowserWindow: class MockWindow {
    static getAllWindows(): unknown[] {
      return windows
    }
    webContents = { send: vi.fn() }
    constructor(options: Record<string, unknown>) {
      const events = on()
      const record = { options, loaded: [] as string[], events }
      windows.push(record)
      Object.assign(this, { once: events.once, on: events.on, loadFile: (f: string) => (record.loaded.push(f), Promise.resolve()), loadURL: (u: string) => (record.loaded.push(u), Promise.resolve()) })
    }
  },
  session: { defaultSession: session },
  dialog: { showSaveDialog: vi.fn() },
  shell,
  ipcMain: { handle: vi.fn((channel: string, handler: Listener) => void ipcHandlers.set(channel, handler)), removeHandler: vi.fn() }
})

describe('desktop shell (src/main/index.ts)', () => {
  beforeAll(async () => {
    await import('../../src/main/index')
    ready()
    for (let i = 0; i < 50 && windows.length === 0; i++) await new Promise((r) => setTimeout(r, 10))
  })
  const app = () => electron.app as Record<string, ReturnType<typeof vi.fn>>

  it('enables the sandbox for every renderer and keeps a single instance', () => {
    expect(app().enableSandbox).toHaveBeenCalled()
    expect(app().requestSingleInstanceLock).toHaveBeenCalled()
  })

  it('opens one window: sandboxed, context-isolated, no Node in page, workers or frames, web security on, no webview tag', () => {
    expect(windows).toHaveLength(1)
    const prefs = windows[0].options.webPreferences as Record<string, unknown>
    expect(prefs).toMatchObject({
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      webviewTag: false,
      allowRunningInsecureContent: false
    })
    expect(String(prefs.preload)).toMatch(/preload[\\/]index\.cjs$/)
    expect(prefs).not.toHaveProperty('enableRemoteModule')
    expect(windows[0].loaded).toEqual([expect.stringMatching(/renderer[\\/]index\.html$/)])
  })

  it('sends a strict CSP with every response: only its own scripts, no eval, no inline script, nothing from another origin', async () => {
    const [[listener]] = session.webRequest.onHeadersReceived.mock.calls as [[(d: unknown, cb: (r: unknown) => void) => void]]
    const answer = await new Promise<{ responseHeaders: Record<string, string[]> }>((resolve) => listener({ responseHeaders: { 'X-Other': ['1'] } }, resolve as never))
    expect(answer.responseHeaders['X-Other']).toEqual(['1'])
    const [csp] = answer.responseHeaders['Content-Security-Policy']
    const directives = Object.fromEntries(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name, values]))
    expect(directives['default-src']).toEqual(["'self'"])
    expect(directives['script-src']).toEqual(["'self'"])
    expect(directives['connect-src']).toEqual(["'self'"])
    expect(csp).not.toMatch(/unsafe-eval|\*|http:|https:/)
  })

  it('denies every permission request and answers every permission check with no', () => {
    const [[request]] = session.setPermissionRequestHandler.mock.calls as [[(c: unknown, p: string, cb: (ok: boolean) => void) => void]]
    for (const permission of ['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal']) {
      const callback = vi.fn()
      request({}, permission, callback)
      expect(callback).toHaveBeenCalledWith(false)
    }
    const [[check]] = session.setPermissionCheckHandler.mock.calls as [[(...a: unknown[]) => boolean]]
    for (const permission of ['media', 'clipboard-sanitized-write', 'hid', 'serial', 'usb']) expect(check({}, permission, 'file://', {})).toBe(false)
  })

  it('blocks navigation, redirects and webviews, and opens no new window and no external URL', () => {
    const contents = { ...on(), setWindowOpenHandler: vi.fn() }
    appEvents.emit('web-contents-created', {}, contents)
    for (const event of ['will-navigate', 'will-redirect', 'will-attach-webview']) {
      const e = { preventDefault: vi.fn() }
      contents.emit(event, e, 'https://evil.example/')
      expect(e.preventDefault, event).toHaveBeenCalled()
    }
    const [[handler]] = contents.setWindowOpenHandler.mock.calls as [[(d: { url: string }) => unknown]]
    for (const url of ['https://evil.example/', 'https://github.com/', 'file:///etc/passwd', 'javascript:alert(1)']) {
      expect(handler({ url })).toEqual({ action: 'deny' })
    }
    expect(shell.openExternal).not.toHaveBeenCalled()
  })

  it('registers every contract channel, answering only the top frame of its own renderer', async () => {
    expect([...ipcHandlers.keys()].sort()).toEqual([...INVOKE_CHANNELS].sort())
    const handler = ipcHandlers.get('settings:get')!
    const file = windows[0].loaded[0]
    const mainFrame = { url: `file://${file}`, parent: null }
    expect(await handler({ senderFrame: mainFrame, sender: { mainFrame } })).toBe('handled settings:get')
    const evil = { url: 'https://evil.example/', parent: null }
    await expect(handler({ senderFrame: evil, sender: { mainFrame: evil } })).rejects.toThrow('untrusted sender')
    const child = { url: `file://${file}`, parent: mainFrame }
    await expect(handler({ senderFrame: child, sender: { mainFrame } })).rejects.toThrow('only the top frame')
    await expect(ipcHandlers.get('jobs:cancel')!({ senderFrame: mainFrame, sender: { mainFrame } }, 'not-a-job')).rejects.toThrow("Invalid payload for 'jobs:cancel'")
  })
})

describe('preload (src/preload/index.ts)', () => {
  beforeAll(async () => {
    await import('../../src/preload/index')
  })
  const api = () => exposed[0][1] as { invoke: (c: string, ...a: unknown[]) => Promise<unknown>; on: (e: string, l: (p: unknown) => void) => () => void }

  it('exposes exactly one object, window.api, with invoke and on and nothing else', () => {
    expect(exposed.map(([key]) => key)).toEqual(['api'])
    expect(Object.keys(api()).sort()).toEqual(['invoke', 'on'])
  })

  it('forwards contract channels to ipcRenderer.invoke and refuses every other channel before IPC', async () => {
    expect(await api().invoke('jobs:cancel', 'job-1')).toBe('reply jobs:cancel')
    expect(ipcRenderer.invoke).toHaveBeenCalledWith('jobs:cancel', 'job-1')
    ipcRenderer.invoke.mockClear()
    for (const channel of ['fs:read', '__proto__', 'constructor', 'ELECTRON_BROWSER_REQUIRE']) {
      await expect(api().invoke(channel)).rejects.toThrow(`Unknown IPC channel`)
    }
    expect(ipcRenderer.invoke).not.toHaveBeenCalled()
  })

  it('subscribes to contract events only, never handing the IpcRendererEvent (with its sender) to the page', () => {
    const listener = vi.fn()
    const off = api().on('job:progress', listener)
    const [[channel, forward]] = ipcRenderer.on.mock.calls as [[string, (event: unknown, payload: unknown) => void]]
    expect(channel).toBe('job:progress')
    forward({ sender: { send: 'privileged' } }, { step: 1 })
    expect(listener).toHaveBeenCalledWith({ step: 1 })
    expect(listener.mock.calls[0]).toHaveLength(1)
    off()
    expect(ipcRenderer.removeListener).toHaveBeenCalledWith('job:progress', forward)
    expect(() => api().on('ipc:internal', vi.fn())).toThrow("Unknown event 'ipc:internal'")
  })
})
