/**
 * The only file that touches ipcMain. Every invoke channel of the contract is registered here; each call is
 * accepted only from the app's own renderer (top frame, expected URL), validated with the contract's schema, and
 * then forwarded to the electron-free handler. A rejected call never reaches a handler, so nothing changes.
 */
import { ipcMain, type IpcMainInvokeEvent } from 'electron'
import { INVOKE_CHANNELS, type Handlers } from '../shared/ipc'
import { invokeHandler } from './handlers'

/**
 * Is `url` the app's renderer? Packaged / built: the file:// URL of out/renderer/index.html (query and hash
 * ignored). Development: the electron-vite dev server's origin.
 */
export function isTrustedRendererUrl(url: string, renderer: { file?: string; devServerUrl?: string }): boolean {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return false
  }
  if (renderer.devServerUrl) {
    const dev = new URL(renderer.devServerUrl)
    if (parsed.origin === dev.origin) return true
  }
  if (renderer.file && parsed.protocol === 'file:') {
    const expected = new URL(`file://${renderer.file.startsWith('/') ? '' : '/'}${renderer.file.replaceAll('\\', '/')}`)
    return decodeURIComponent(parsed.pathname) === decodeURIComponent(expected.pathname) && parsed.host === ''
  }
  return false
}

export interface SenderCheck {
  file?: string
  devServerUrl?: string
}

/** Throws unless the invoke came from the top frame of a window showing the app's renderer. */
export function assertTrustedSender(event: Pick<IpcMainInvokeEvent, 'senderFrame' | 'sender'>, renderer: SenderCheck): void {
  const frame = event.senderFrame
  if (!frame) throw new Error('IPC refused: the sending frame is gone')
  if (frame.parent !== null || frame !== event.sender.mainFrame) throw new Error('IPC refused: only the top frame may call the API')
  if (!isTrustedRendererUrl(frame.url, renderer)) throw new Error(`IPC refused: untrusted sender ${frame.url}`)
}

export function registerIpc(handlers: Handlers, renderer: SenderCheck): () => void {
  for (const channel of INVOKE_CHANNELS) {
    ipcMain.handle(channel, async (event, ...args: unknown[]) => {
      assertTrustedSender(event, renderer)
      return invokeHandler(handlers, channel, args)
    })
  }
  return () => {
    for (const channel of INVOKE_CHANNELS) ipcMain.removeHandler(channel)
  }
}
