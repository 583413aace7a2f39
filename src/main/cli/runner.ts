/**
 * Where the CLI's engine jobs run: in this process (createEngine, the default) or on the house's worker pool
 * (src/main/compute/pool.ts; `--workers N`). Both take the same EngineJob the app's workers take.
 */
import type { BackendName, EngineJob } from '../engine/api'
import type { SampleRange } from '../compute/protocol'
import type { JobProgress, MethodResult, ModelRunInfo } from '../../shared/jobs'

export interface RunnerOutput {
  result: MethodResult
  run: ModelRunInfo
  /** The SmoothGrad sample ranges, one per worker, when the job was split over the pool. */
  ranges?: SampleRange[]
}

export interface RunnerRunOptions {
  onProgress?: (p: JobProgress) => void
  signal?: AbortSignal
  /** false: keep a SmoothGrad job on one worker (default: split over the idle workers, as the app does). */
  split?: boolean
}

export interface Runner {
  readonly backend: string
  /** 0 = in process. */
  readonly workers: number
  /**
   * On a pool, calls made in the same tick start together (the models of one command, like a twin run in the app):
   * SmoothGrad jobs get the idle workers beyond one per job (compute/split.ts).
   */
  run(job: EngineJob, options?: RunnerRunOptions): Promise<RunnerOutput>
  dispose(): Promise<void>
}

export interface RunnerOptions {
  modelsDir: string
  workers: number
  backends?: BackendName[]
  /** wasm threads per engine (in process or per worker); default 1. */
  wasmThreads?: number
}

export type RunnerFactory = (options: RunnerOptions) => Promise<Runner>

export const createRunner: RunnerFactory = async (options) => {
  if (options.workers > 0) {
    // loaded only when asked for: the worker entry is an electron-vite `?nodeWorker` import (built CLI only)
    const { createPoolRunner } = await import('./pool-runner')
    return createPoolRunner(options)
  }
  const { createEngine } = await import('../engine/index')
  const engine = await createEngine({ modelsDir: options.modelsDir, backends: options.backends, wasmThreads: options.wasmThreads })
  return {
    backend: engine.backend,
    workers: 0,
    run: (job, o = {}) => engine.run(job, { signal: o.signal ?? new AbortController().signal, onProgress: o.onProgress ?? (() => {}) }),
    dispose: async () => engine.dispose()
  }
}
