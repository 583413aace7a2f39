/**
 * The main-side implementation of every invoke channel of src/shared/ipc.ts. Electron-free: the desktop app
 * (through ipc.ts), browser mode (serve.ts) and the Playwright bridge (e2e/fixtures.ts) all call these same
 * functions. Arguments arrive already validated by parseInvokeArgs; the checks here are the ones that need
 * state (does the model exist, does its input size match, is the sample listed).
 */
import { parseInvokeArgs, type AppInfo, type Handlers, type InvokeArgs, type InvokeResults } from '../shared/ipc'
import type { Settings } from '../shared/settings'
import { listModels, listSamples, readSample } from './catalog'
import type { JobRunner } from './jobs'
import type { SettingsStore } from './settings'

export type ExportRequest = InvokeArgs<'export:save'>[0]
export type ExportSaver = (request: ExportRequest) => Promise<InvokeResults['export:save']>

export interface HandlerDeps {
  mode: AppInfo['mode']
  version: string
  modelsDir: string
  samplesDir: string
  settings: SettingsStore
  jobs: JobRunner
  /** The compute pool as far as app:info needs it. */
  compute: { size: number; threads: number; backend(): Promise<string>; backendNotices?(): string[] }
  /** Desktop: a save dialog. Default: tell the renderer to offer a download itself. */
  saveExport?: ExportSaver
  /** Called after every settings change (e.g. to resize the pool). */
  onSettingsChanged?: (settings: Settings) => void
}

const downloadInstead: ExportSaver = async () => ({ status: 'download' })

export function createHandlers(deps: HandlerDeps): Handlers {
  const saveExport = deps.saveExport ?? downloadInstead
  const changed = (settings: Settings): Settings => {
    deps.onSettingsChanged?.(settings)
    return settings
  }

  return {
    'app:info': async () => {
      let backend: string
      try {
        backend = await deps.compute.backend()
      } catch (error) {
        backend = `unavailable (${(error as Error).message})`
      }
      const backendNotices = deps.compute.backendNotices?.() ?? []
      return { version: deps.version, mode: deps.mode, backend, backendNotices, workers: deps.compute.size, threads: deps.compute.threads, platform: process.platform }
    },
    'models:list': () => listModels(deps.modelsDir),
    'samples:list': () => listSamples(deps.samplesDir),
    'samples:read': (id) => readSample(deps.samplesDir, id),
    'jobs:start': async (request) => {
      const models = await listModels(deps.modelsDir, () => {})
      for (const id of request.models) {
        const model = models.find((m) => m.id === id)
        if (!model) {
          const known = models.map((m) => m.id).join(', ') || 'none installed'
          throw new Error(`Unknown model '${id}' (available: ${known})`)
        }
        const [, height, width] = request.images.shape
        if (height !== model.input.height || width !== model.input.width) {
          throw new Error(`Model '${id}' expects ${model.input.width}×${model.input.height} images, got ${width}×${height}`)
        }
      }
      if (request.models.length === 2 && request.models[0] === request.models[1]) {
        throw new Error('A twin run needs two different models')
      }
      return deps.jobs.start(request)
    },
    'jobs:cancel': async (jobId) => ({ cancelled: deps.jobs.cancel(jobId) }),
    'settings:get': async () => deps.settings.get(),
    'settings:set': async (patch) => changed(deps.settings.set(patch)),
    'settings:reset': async () => changed(deps.settings.reset()),
    'export:save': (request) => saveExport(request)
  }
}

/**
 * Validate and dispatch one invoke: the single entry every transport uses (Electron IPC after the sender check,
 * the browser-mode WebSocket, the e2e bridge). A malformed payload throws before any handler runs.
 */
export async function invokeHandler(handlers: Handlers, channel: unknown, args: unknown): Promise<unknown> {
  if (typeof channel !== 'string') throw new Error('IPC channel must be a string')
  const parsed = parseInvokeArgs(channel as keyof Handlers, args)
  const handler = handlers[channel as keyof Handlers] as (...a: unknown[]) => Promise<unknown>
  return handler(...(parsed as unknown[]))
}
