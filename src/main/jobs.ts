/**
 * Jobs: `jobs:start` returns an id at once; the method then runs on one worker per model (a twin run uses two
 * workers in parallel when the pool has two). A SmoothGrad job whose pool has more idle workers than models has each
 * model's samples split over its share of them (compute/split.ts; the same map as one worker, up to addition order).
 * Progress is forwarded as `job:progress` (for a split model: samples done over all its parts), at most ~20 per
 * second per model (the last step always goes out), then exactly one `job:finished` with every model's result or
 * one `job:failed` ('cancelled' | 'error').
 */
import type { EventChannel, EventPayloads, JobFinishedEvent } from '../shared/ipc'
import type { JobProgress, JobRequest } from '../shared/jobs'
import { CancelledError } from './engine/api'
import { runOnPool, type JobPool } from './compute/split'

export type Emit = <E extends EventChannel>(event: E, payload: EventPayloads[E]) => void

export interface JobRunner {
  start(request: JobRequest): { jobId: string }
  /** false when the job is unknown or already over. */
  cancel(jobId: string): boolean
  /** Ids of jobs still running. */
  active(): string[]
}

export interface JobRunnerOptions {
  /** With runPartial + stats, SmoothGrad samples are split over idle workers; with run alone every job runs whole. */
  pool: JobPool
  emit: Emit
  /** Minimum gap between two forwarded progress events of one model (default 50 ms = 20/s). */
  progressIntervalMs?: number
  now?: () => number
}

/** Forwards at most one progress per interval; keeps the latest in between and sends it when the gap is over. */
export function progressThrottle(send: (p: JobProgress) => void, intervalMs: number, now: () => number = Date.now) {
  let last = Number.NEGATIVE_INFINITY
  let pending: JobProgress | null = null
  let timer: ReturnType<typeof setTimeout> | null = null
  const clear = (): void => {
    if (timer) clearTimeout(timer)
    timer = null
  }
  const fire = (p: JobProgress): void => {
    last = now()
    pending = null
    send(p)
  }
  return {
    push(p: JobProgress): void {
      if (p.step >= p.totalSteps) {
        clear()
        fire(p) // the last step always goes out
      } else if (now() - last >= intervalMs) {
        clear()
        fire(p)
      } else {
        pending = p
        timer ??= setTimeout(() => {
          timer = null
          if (pending) fire(pending)
        }, Math.max(0, intervalMs - (now() - last)))
      }
    },
    /** Send what is pending now (before the job's final event). */
    flush(): void {
      clear()
      if (pending) fire(pending)
    },
    /** Drop what is pending (the job failed). */
    drop(): void {
      clear()
      pending = null
    }
  }
}

export function createJobRunner(options: JobRunnerOptions): JobRunner {
  const interval = options.progressIntervalMs ?? 50
  const running = new Map<string, { controller: AbortController; cancelledByUser: boolean }>()
  let nextJob = 1

  async function execute(jobId: string, request: JobRequest): Promise<void> {
    const entry = running.get(jobId)!
    const throttles = request.models.map((modelId) =>
      progressThrottle((progress) => options.emit('job:progress', { jobId, modelId, progress }), interval, options.now)
    )
    try {
      const runs = runOnPool(
        options.pool,
        request.models.map((modelId) => ({ modelId, images: request.images, params: request.params })),
        request.models.map((_, i) => ({ signal: entry.controller.signal, onProgress: (p: JobProgress) => throttles[i].push(p) }))
      )
      const results: JobFinishedEvent['results'] = await Promise.all(
        request.models.map(async (modelId, i) => {
          try {
            const out = await runs[i]
            throttles[i].flush()
            return { modelId, result: out.result, run: out.run }
          } catch (error) {
            // name the model in a twin run so the user knows which side failed
            if (error instanceof CancelledError || request.models.length === 1) throw error
            throw new Error(`${modelId}: ${(error as Error).message}`)
          }
        })
      )
      running.delete(jobId)
      options.emit('job:finished', { jobId, results })
    } catch (error) {
      running.delete(jobId)
      entry.controller.abort() // stop the other half of a twin run
      for (const t of throttles) t.drop()
      const cancelled = entry.cancelledByUser || error instanceof CancelledError
      options.emit('job:failed', {
        jobId,
        reason: cancelled ? 'cancelled' : 'error',
        message: cancelled ? 'cancelled by the user' : (error as Error).message || String(error)
      })
    }
  }

  return {
    start(request) {
      const jobId = `job-${nextJob++}`
      running.set(jobId, { controller: new AbortController(), cancelledByUser: false })
      void execute(jobId, request)
      return { jobId }
    },
    cancel(jobId) {
      const entry = running.get(jobId)
      if (!entry || entry.controller.signal.aborted) return false
      entry.cancelledByUser = true
      entry.controller.abort()
      return true
    },
    active: () => [...running.keys()]
  }
}
