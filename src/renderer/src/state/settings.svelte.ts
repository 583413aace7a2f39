/**
 * Persisted settings (main validates and stores them; electron-store on the desktop). Views keep their last
 * parameters in `views[viewName]`; writes are debounced so slider drags don't flood IPC.
 */
import { defaultSettings, type Settings, type SettingsPatch } from '../../../shared/settings'
import { errorMessage } from './images.svelte'

export type ViewParams = Settings['views'][string]

const SAVE_DELAY_MS = 300

export class SettingsState {
  value = $state.raw<Settings>(defaultSettings())
  loaded = $state(false)
  error = $state<string | null>(null)

  #pending: SettingsPatch = {}
  #timer: ReturnType<typeof setTimeout> | null = null

  async load(): Promise<Settings> {
    try {
      this.value = await window.api.invoke('settings:get')
    } catch (err) {
      this.error = `could not read the settings: ${errorMessage(err)}`
    }
    this.loaded = true
    return this.value
  }

  /** Apply at once in the UI; persist after a short delay (merged with other pending changes). */
  set(patch: SettingsPatch): void {
    this.value = { ...this.value, ...patch }
    this.#pending = { ...this.#pending, ...patch }
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = setTimeout(() => void this.flush(), SAVE_DELAY_MS)
  }

  async flush(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = null
    const patch = this.#pending
    this.#pending = {}
    if (Object.keys(patch).length === 0) return
    try {
      const saved = await window.api.invoke('settings:set', patch)
      // changes made while this write was in flight are newer than main's reply: keep them (they are saved next);
      // patches replace whole top-level keys, so laying the pending ones over the reply is exact
      this.value = { ...saved, ...this.#pending }
      this.error = null
    } catch (err) {
      this.error = `could not save the settings: ${errorMessage(err)}`
    }
  }

  /**
   * Send what is pending when the page goes away: closing the window or reloading within the save delay would
   * otherwise lose the last change (the active view, a slider). The invoke is sent at once; its reply is not awaited.
   */
  saveOnPageHide(target: Window = window): () => void {
    const saveNow = (): void => void this.flush()
    target.addEventListener('pagehide', saveNow)
    return () => target.removeEventListener('pagehide', saveNow)
  }

  viewParams(view: string): ViewParams | undefined {
    return this.value.views[view]
  }

  setViewParams(view: string, params: ViewParams): void {
    this.set({ views: { ...this.value.views, [view]: params } })
  }

  async reset(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = null
    this.#pending = {}
    try {
      this.value = await window.api.invoke('settings:reset')
      this.error = null
    } catch (err) {
      this.error = `could not reset the settings: ${errorMessage(err)}`
    }
  }
}

/** The effective theme: the setting, or the system's preference. */
export function resolveTheme(theme: Settings['theme'], prefersDark: boolean): 'light' | 'dark' {
  return theme === 'system' ? (prefersDark ? 'dark' : 'light') : theme
}
