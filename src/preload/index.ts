/** The sandboxed preload (built as CommonJS): window.api over Electron IPC, nothing else exposed. */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron'
import { buildApi } from './api'

contextBridge.exposeInMainWorld(
  'api',
  buildApi({
    invoke: (channel, args) => ipcRenderer.invoke(channel, ...args),
    subscribe: (channel, listener) => {
      // never hand the IpcRendererEvent (it exposes `sender`) to the page
      const forward = (_event: IpcRendererEvent, payload: unknown): void => listener(payload)
      ipcRenderer.on(channel, forward)
      return () => void ipcRenderer.removeListener(channel, forward)
    }
  })
)
