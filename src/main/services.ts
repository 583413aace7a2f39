/**
 * Main's services, wired the same way for every front end (desktop, browser mode, the e2e bridge): the compute
 * pool, the job runner and the handlers. Electron-free; the caller brings the worker factory and the emitter.
 */
import { availableParallelism } from 'node:os'
import { createPool, type ComputePool, type WorkerFactory } from './compute/pool'
import { createHandlers, type ExportSaver, type HandlerDeps } from './handlers'
import { createJobRunner, type Emit, type JobRunner } from './jobs'
import type { SettingsStore } from './settings'
import type { Handlers } from '../shared/ipc'

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
  saveExport?: ExportSaver
  log?: (message: string) => void
}

export interface Services {
  pool: ComputePool
  jobs: JobRunner
  handlers: Handlers
  dispose(): Promise<void>
}

/** The `workers` setting, or one worker per available core; at least 1. */
export function poolSizeFor(setting: number | null, cores: number = availableParallelism()): number {
  return Math.max(1, setting ?? cores)
}

export function createServices(options: ServicesOptions): Services {
  const size = options.poolSize ?? poolSizeFor(options.settings.get().workers)
  const pool = createPool(options.workerFactory, { size, modelsDir: options.modelsDir, log: options.log })
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
    // a changed worker count applies at once: new workers start, surplus ones stop when idle
    onSettingsChanged: options.poolSize === undefined ? (settings) => pool.resize(poolSizeFor(settings.workers)) : undefined
  })
  return { pool, jobs, handlers, dispose: () => pool.terminate() }
}
