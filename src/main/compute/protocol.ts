/**
 * The one long-lived protocol between main (pool.ts) and a compute worker (worker.ts): every message is
 * `{ id, type, … }` (netron style). id 0 is the worker itself (init/ready); run ids are > 0 and unique per pool.
 * `run` → progress… then `result`; `partial` (a sample range of a split SmoothGrad job) → progress… then
 * `partial-result`; either may end in `error` instead. `shutdown` ends the worker once nothing native is in flight.
 */
import type { BackendName, EngineJob, SmoothGradPartial } from '../engine/api'
import type { JobProgress, MethodResult, ModelRunInfo, Predictions } from '../../shared/jobs'

export const WORKER_ID = 0

export type InitMessage = { id: typeof WORKER_ID; type: 'init'; modelsDir: string; backends?: BackendName[]; wasmThreads?: number }
export type RunMessage = { id: number; type: 'run'; job: EngineJob }
/** Samples [start, end) of a SmoothGrad job (0-based, end exclusive). */
export type SampleRange = { start: number; end: number }
/**
 * Partial SmoothGrad sums over `range` of a saliency job with smoothing (engine.saliencyPartial). `predictions`: also
 * return the clean predictions (one part of a split job asks, so the combined result carries them).
 */
export type PartialMessage = { id: number; type: 'partial'; job: EngineJob; range: SampleRange; predictions: boolean }
export type CancelMessage = { id: number; type: 'cancel' }
/**
 * Stop: cancel every job, wait until the engine's start and the jobs have settled, then exit. Never
 * `Worker.terminate()` a worker that may be inside a native call: onnxruntime-node aborts the whole process
 * ("terminate called after throwing an instance of 'Napi::Error'") when its thread is torn down while a session is
 * being created.
 */
export type ShutdownMessage = { id: typeof WORKER_ID; type: 'shutdown' }
export type MainToWorker = InitMessage | RunMessage | PartialMessage | CancelMessage | ShutdownMessage

/** `notices`: backends that started but failed their self-check before `backend` was chosen (shown to the user). */
export type ReadyMessage = { id: typeof WORKER_ID; type: 'ready'; backend: string; notices?: string[] }
export type ProgressMessage = { id: number; type: 'progress'; progress: JobProgress }
export type ResultMessage = { id: number; type: 'result'; result: MethodResult; run: ModelRunInfo }
export type PartialResultMessage = { id: number; type: 'partial-result'; partial: SmoothGradPartial; run: ModelRunInfo; predictions?: Predictions }
/** `cancelled` tells a cancellation apart from a failure; id 0 = the engine could not start. */
export type ErrorMessage = { id: number; type: 'error'; message: string; cancelled: boolean }
export type WorkerToMain = ReadyMessage | ProgressMessage | ResultMessage | PartialResultMessage | ErrorMessage

/**
 * The ArrayBuffers behind every typed array in `value` (deep), once each, so postMessage moves them instead of
 * copying. Shared memory cannot be transferred and is left out.
 */
export function transferablesOf(value: unknown): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>()
  const seen = new Set<object>()
  const visit = (v: unknown): void => {
    if (v === null || typeof v !== 'object' || seen.has(v)) return
    seen.add(v)
    if (ArrayBuffer.isView(v)) {
      if (v.buffer instanceof ArrayBuffer) buffers.add(v.buffer)
      return
    }
    for (const item of Array.isArray(v) ? v : Object.values(v)) visit(item)
  }
  visit(value)
  return [...buffers]
}
