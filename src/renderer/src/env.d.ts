/// <reference types="svelte" />
/// <reference types="vite/client" />
import type { RendererApi } from '../../shared/ipc'

declare global {
  interface Window {
    /** Installed by the preload (desktop), by browser-mode.ts (npm run serve) or by the e2e bridge. */
    api: RendererApi
  }
}

export {}
