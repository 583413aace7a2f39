/**
 * Settings behind an interface. The desktop app persists them with electron-store, browser mode with `conf`
 * (electron-store's own base class, same file format), tests with a temp dir or in memory. Every write is
 * validated against src/shared/settings.ts; a file that is not valid JSON or fails the schema is moved aside to
 * `<file>.corrupt-<time>` and the settings start from the defaults — never a fatal error.
 *
 * electron-store is imported lazily (only by openElectronSettings): importing it in plain Node loads `electron`,
 * which tries to download the binary and throws (toolchain.md §2).
 */
import { existsSync, readFileSync, renameSync } from 'node:fs'
import { join } from 'node:path'
import { SettingsPatchSchema, SettingsSchema, defaultSettings, type Settings, type SettingsPatch } from '../shared/settings'

export interface SettingsStore {
  get(): Settings
  /** Validates and merges the patch; returns the full settings after the write. Throws on an invalid patch. */
  set(patch: SettingsPatch): Settings
  reset(): Settings
  /** Where the settings live ('memory' for the in-memory store). */
  readonly location: string
  /** Set when the file on disk was corrupt at start: where the bad copy was moved. */
  readonly recoveredFrom: string | null
}

function merge(current: Settings, patch: SettingsPatch): Settings {
  const valid = SettingsPatchSchema.parse(patch)
  return SettingsSchema.parse({ ...current, ...valid })
}

export function createMemorySettings(initial: Partial<Settings> = {}): SettingsStore {
  let settings = SettingsSchema.parse(initial)
  return {
    location: 'memory',
    recoveredFrom: null,
    get: () => structuredClone(settings),
    set(patch) {
      settings = merge(settings, patch)
      return structuredClone(settings)
    },
    reset() {
      settings = defaultSettings()
      return structuredClone(settings)
    }
  }
}

/**
 * If `file` exists but is unreadable as settings, move it aside and return the backup path; otherwise null.
 * Unknown keys are tolerated (a newer version may have written them); wrong types are not.
 */
export function quarantineCorruptSettings(file: string, now: Date = new Date()): string | null {
  if (!existsSync(file)) return null
  let valid = false
  try {
    valid = SettingsSchema.safeParse(JSON.parse(readFileSync(file, 'utf8'))).success
  } catch {
    valid = false
  }
  if (valid) return null
  const backup = `${file}.corrupt-${now.toISOString().replace(/[:.]/g, '-')}`
  renameSync(file, backup)
  return backup
}

/** The part of conf / electron-store this module uses. */
export interface ConfLike {
  store: Record<string, unknown>
  readonly path: string
}
export interface ConfOptions {
  cwd: string
  configName: string
  name: string
  projectName: string
  defaults: Settings
  clearInvalidConfig: boolean
}
export type ConfConstructor = new (options: ConfOptions) => ConfLike

export const SETTINGS_FILE_NAME = 'settings'

/** Open settings.json in `dir` through a conf-compatible class (conf itself, or electron-store). */
export function openConfSettings(Conf: ConfConstructor, dir: string): SettingsStore {
  const recoveredFrom = quarantineCorruptSettings(join(dir, `${SETTINGS_FILE_NAME}.json`))
  const conf = new Conf({
    cwd: dir,
    configName: SETTINGS_FILE_NAME, // conf's name for it
    name: SETTINGS_FILE_NAME, // electron-store's name for it
    projectName: 'robust-lens',
    defaults: defaultSettings(),
    clearInvalidConfig: true
  })
  const read = (): Settings => {
    const parsed = SettingsSchema.safeParse(conf.store)
    return parsed.success ? parsed.data : defaultSettings()
  }
  return {
    location: conf.path,
    recoveredFrom,
    get: read,
    set(patch) {
      const next = merge(read(), patch)
      conf.store = next
      return next
    },
    reset() {
      const next = defaultSettings()
      conf.store = next
      return next
    }
  }
}

/** Desktop: electron-store in `dir` (the app's userData folder). */
export async function openElectronSettings(dir: string): Promise<SettingsStore> {
  const { default: ElectronStore } = await import('electron-store')
  return openConfSettings(ElectronStore as unknown as ConfConstructor, dir)
}

/** Browser mode and tests: the same file through `conf`, no Electron needed. */
export async function openFileSettings(dir: string): Promise<SettingsStore> {
  const { default: Conf } = await import('conf')
  return openConfSettings(Conf as unknown as ConfConstructor, dir)
}
