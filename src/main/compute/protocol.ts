/**
 * The one long-lived protocol between main (pool.ts) and a compute worker (worker.ts): every message is
 * `{ id, type, … }` (netron style). id 0 is the worker itself (init/ready); run ids are > 0 and unique per pool.
 */
import type { BackendName, EngineJob } from '../engine/api'
import type { JobProgress, MethodResult, ModelRunInfo } from '../../shared/jobs'

export const WORKER_ID = 0

export type InitMessage = { id: typeof WORKER_ID; type: 'init'; modelsDir: string; backends?: BackendName[]; wasmThreads?: number }
export type RunMessage = { id: number; type: 'run'; job: EngineJob }
export type CancelMessage = { id: number; type: 'cancel' }
export type MainToWorker = InitMessage | RunMessage | CancelMessage

export type ReadyMessage = { id: typeof WORKER_ID; type: 'ready'; backend: string }
export type ProgressMessage = { id: number; type: 'progress'; progress: JobProgress }
export type ResultMessage = { id: number; type: 'result'; result: MethodResult; run: ModelRunInfo }
/** `cancelled` tells a cancellation apart from a failure; id 0 = the engine could not start. */
export type ErrorMessage = { id: number; type: 'error'; message: string; cancelled: boolean }
export type WorkerToMain = ReadyMessage | ProgressMessage | ResultMessage | ErrorMessage

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
