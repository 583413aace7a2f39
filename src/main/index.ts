/**
 * The desktop shell: wiring only. One sandboxed, context-isolated BrowserWindow with a strict CSP; navigation,
 * new windows, webviews and permission requests and checks denied; nothing is opened in the user's browser (the
 * renderer links nowhere, so shell.openExternal is never called); the IPC contract registered through ipc.ts;
 * compute in worker threads (services.ts); settings in electron-store (settings.ts). test/main/shell.test.ts checks
 * all of it against a mocked `electron`.
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { app, BrowserWindow, dialog, session } from 'electron'
import createComputeWorker from './compute/worker?nodeWorker'
import type { EventChannel, EventPayloads } from '../shared/ipc'
import type { ExportSaver } from './handlers'
import { registerIpc } from './ipc'
import { appPaths } from './paths'
import { createServices, type Services } from './services'
import { openElectronSettings } from './settings'

export const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; worker-src 'self' blob:; connect-src 'self'"

const devServerUrl = !app.isPackaged ? process.env.ELECTRON_RENDERER_URL : undefined
const rendererFile = join(import.meta.dirname, '../renderer/index.html')
let window: BrowserWindow | null = null
let services: Services | null = null

function emit<E extends EventChannel>(event: E, payload: EventPayloads[E]): void {
  if (window && !window.isDestroyed()) window.webContents.send(event, payload)
}

const saveExport: ExportSaver = async (request) => {
  const options = { defaultPath: join(app.getPath('downloads'), request.suggestedName), filters: [{ name: request.kind.toUpperCase(), extensions: [request.kind] }] }
  const answer = window ? await dialog.showSaveDialog(window, options) : await dialog.showSaveDialog(options)
  if (answer.canceled || !answer.filePath) return { status: 'cancelled' }
  await writeFile(answer.filePath, request.data)
  return { status: 'saved', path: answer.filePath }
}

function createWindow(): void {
  window = new BrowserWindow({
    width: 1360,
    height: 900,
    show: false,
    title: 'Robust Lens',
    backgroundColor: '#ffffff',
    webPreferences: {
      preload: join(import.meta.dirname, '../preload/index.cjs'),
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      webSecurity: true,
      webviewTag: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      allowRunningInsecureContent: false,
      spellcheck: false
    }
  })
  window.once('ready-to-show', () => window?.show())
  window.on('closed', () => (window = null))
  if (devServerUrl) void window.loadURL(devServerUrl)
  else void window.loadFile(rendererFile)
}

function lockDown(): void {
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CSP] } })
  })
  // the app needs no permission (camera, notifications, clipboard-read…): refuse requests and answer checks with no
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false))
  session.defaultSession.setPermissionCheckHandler(() => false)
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-navigate', (event) => event.preventDefault())
    contents.on('will-redirect', (event) => event.preventDefault())
    contents.on('will-attach-webview', (event) => event.preventDefault())
    // no new windows, and no URL handed to the OS either (the renderer has no external links)
    contents.setWindowOpenHandler(() => ({ action: 'deny' }))
  })
}

async function start(): Promise<void> {
  const paths = appPaths(import.meta.dirname, app.isPackaged ? process.resourcesPath : undefined)
  const settings = await openElectronSettings(app.getPath('userData'))
  if (settings.recoveredFrom) console.warn(`settings file was corrupt; moved to ${settings.recoveredFrom} and reset to defaults`)
  services = createServices({
    mode: 'desktop',
    version: app.getVersion(),
    modelsDir: paths.modelsDir,
    samplesDir: paths.samplesDir,
    settings,
    emit,
    workerFactory: () => createComputeWorker({}),
    saveExport,
    log: (message) => console.warn(message)
  })
  registerIpc(services.handlers, { file: rendererFile, devServerUrl })
  lockDown()
  createWindow()
}

app.enableSandbox()
if (!app.requestSingleInstanceLock()) {
  app.quit()
} else {
  app.on('second-instance', () => {
    if (window?.isMinimized()) window.restore()
    window?.focus()
  })
  app.whenReady().then(start, (error: unknown) => {
    console.error(error)
    app.exit(1)
  })
  app.on('window-all-closed', () => app.quit())
  // hold the quit until the compute workers have stopped: a worker thread torn down inside an ONNX Runtime call
  // aborts the process (compute/protocol.ts, ShutdownMessage); the pool bounds the wait with its shutdown grace
  app.on('will-quit', (event) => {
    if (!services) return
    const stopping = services
    services = null
    event.preventDefault()
    void stopping.dispose().finally(() => app.quit())
  })
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0 && services) createWindow()
  })
}
