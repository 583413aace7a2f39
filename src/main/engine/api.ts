/**
 * The seam between the compute worker (src/main/compute/worker.ts) and the engine. The engine knows no transport:
 * a job is data in, typed arrays and numbers out, progress through a callback, cancellation through an AbortSignal
 * checked between steps (architecture.md, seam 3). No Electron import anywhere below src/main/engine/.
 */
import type { ImageBatch } from '../../shared/images'
import type { JobProgress, MethodParams, MethodResult, ModelRunInfo } from '../../shared/jobs'
import type { ModelInfo } from '../../shared/model-format'
import type { BackendName } from './backends/names'
import type { BackendAttempt, BackendFactories } from './backends/registry'
import type { SmoothGradPartial } from './saliency/partials'

export type { BackendAttempt, BackendFactories, BackendName, SmoothGradPartial }
export { BACKEND_NAMES } from './backends/names'

export interface EngineOptions {
  /** Folder with one sub-folder per model (resources/models). */
  modelsDir: string
  /** Backends to try in order; default: tensorflow-gpu, tensorflow, onnxruntime, wasm, cpu (backends/registry.ts). */
  backends?: BackendName[]
  /** Threads per worker for the backend (wasm: threaded SIMD); 1 = single-threaded. */
  wasmThreads?: number
  /** Classifier factories by backend name, replacing the built-in ones of the same name (backends/index.ts). */
  factories?: BackendFactories
  /** Run each backend's start-up self-check before using it (default true). */
  selfCheck?: boolean
}

export interface RunContext {
  signal: AbortSignal
  onProgress: (progress: JobProgress) => void
}

/** One method on one model. Twin runs are two of these, on two workers, started by src/main/jobs.ts. */
export interface EngineJob {
  modelId: string
  images: ImageBatch
  params: MethodParams
}

export interface Engine {
  /** The backend actually in use (after fallbacks). */
  readonly backend: BackendName
  /** Every backend tried before (and including) the one in use, with why each was skipped. */
  readonly backendAttempts?: BackendAttempt[]
  /** One line per backend that started but failed its self-check (the user should see these). */
  readonly backendNotices?: string[]
  listModels(): Promise<ModelInfo[]>
  run(job: EngineJob, ctx: RunContext): Promise<{ result: MethodResult; run: ModelRunInfo }>
  /**
   * SmoothGrad partial sums (Σg, Σg², count) over samples [start, end) of a saliency job with smoothing, so one job's
   * samples can be spread over several workers; combine with `combinePartials` + `finishSmoothGrad`
   * (engine/saliency/smoothgrad.ts). Noise depends only on (seed, sample, image), so any split gives the same result.
   */
  saliencyPartial?(job: EngineJob, range: { start: number; end: number }, ctx: RunContext): Promise<{ partial: SmoothGradPartial; run: ModelRunInfo }>
  dispose(): void
}

/** Thrown when a job stops because its AbortSignal fired. */
export class CancelledError extends Error {
  constructor(message = 'cancelled') {
    super(message)
    this.name = 'CancelledError'
  }
}
