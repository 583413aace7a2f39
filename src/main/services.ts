/**
 * Main's services, wired the same way for every front end (desktop, browser mode, the e2e bridge): the compute
 * pool, the job runner and the handlers. Electron-free; the caller brings the worker factory and the emitter.
 */
import { availableParallelism } from 'node:os'
import { computeLayout, type ComputeLayout } from './compute/layout'
import { createPool, type ComputePool, type WorkerFactory } from './compute/pool'
import { createHandlers, type ExportSaver, type HandlerDeps } from './handlers'
import { createJobRunner, type Emit, type JobRunner } from './jobs'
import type { SettingsStore } from './settings'
import type { Handlers } from '../shared/ipc'
import { COMPUTE_BACKENDS, type ComputeBackend, type Settings } from '../shared/settings'

export interface ServicesOptions {
  mode: HandlerDeps['mode']
  version: string
  modelsDir: string
  samplesDir: string
  settings: SettingsStore
  emit: Emit
  workerFactory: WorkerFactory
  /** Overrides the `workers` setting (tests). */
  poolSize?: number
  /** Overrides the `threads` setting (tests). */
  poolThreads?: number
  /** Overrides the `backend` setting (`npm run serve -- --backend NAME`). */
  backend?: ComputeBackend
  saveExport?: ExportSaver
  log?: (message: string) => void
}

export interface Services {
  pool: ComputePool
  jobs: JobRunner
  handlers: Handlers
  dispose(): Promise<void>
}

/**
 * Workers × threads from the settings (null = automatic), the cores of this machine and the backend the workers run
 * (compute/layout.ts).
 */
export function layoutFor(
  settings: { workers: number | null; threads: number | null },
  options: Pick<ServicesOptions, 'poolSize' | 'poolThreads'> = {},
  cores: number = availableParallelism(),
  backend: string | null = null
): ComputeLayout {
  const layout = computeLayout(settings, cores, backend)
  return { workers: options.poolSize ?? layout.workers, threads: options.poolThreads ?? layout.threads }
}

/**
 * The engine's backend order for the `backend` setting: undefined (the engine's default order) for 'auto'; a chosen
 * backend first, then the others in the default order, so one that cannot start or fails its start-up check falls
 * back (with a notice) instead of leaving the app without compute.
 */
export function backendOrder(setting: Settings['backend']): ComputeBackend[] | undefined {
  if (setting === 'auto') return undefined
  return [setting, ...COMPUTE_BACKENDS.filter((b) => b !== setting)]
}

/**
 * The backend the workers are expected to pick for the `backend` setting, before any has started: the one chosen, or
 * for 'auto' ONNX Runtime (the engine's default order puts it after the native TF.js bindings, which are rarely
 * installed). The pool is re-laid out once the workers report the backend they really picked.
 */
export function expectedBackend(setting: Settings['backend']): ComputeBackend {
  return setting === 'auto' ? 'onnxruntime' : setting
}

export function createServices(options: ServicesOptions): Services {
  const backendSetting = (settings: Settings): Settings['backend'] => options.backend ?? settings.backend
  const layout = layoutFor(options.settings.get(), options, undefined, expectedBackend(backendSetting(options.settings.get())))
  const backendsFor = (settings: Settings): ComputeBackend[] | undefined => backendOrder(backendSetting(settings))
  const pool = createPool(options.workerFactory, {
    size: layout.workers,
    wasmThreads: layout.threads,
    backends: backendsFor(options.settings.get()),
    modelsDir: options.modelsDir,
    log: options.log
  })
  /** Once the workers report their backend: the layout for that backend, if it is not the one expected. */
  const followBackend = async (): Promise<void> => {
    const picked = await pool.backend().catch(() => null)
    if (picked === null) return
    const next = layoutFor(options.settings.get(), options, undefined, picked)
    if (next.workers !== pool.size || next.threads !== pool.threads) pool.resize(next.workers, next.threads)
  }
  void followBackend()
  const jobs = createJobRunner({ pool, emit: options.emit })
  const handlers = createHandlers({
    mode: options.mode,
    version: options.version,
    modelsDir: options.modelsDir,
    samplesDir: options.samplesDir,
    settings: options.settings,
    jobs,
    compute: pool,
    saveExport: options.saveExport,
    // a changed layout applies at once: new workers start, surplus or re-threaded ones stop when idle
    onSettingsChanged: (settings) => {
      const next = layoutFor(settings, options, undefined, expectedBackend(backendSetting(settings)))
      pool.setBackends(backendsFor(settings))
      pool.resize(next.workers, next.threads)
      void followBackend()
    }
  })
  return { pool, jobs, handlers, dispose: () => pool.terminate() }
}
