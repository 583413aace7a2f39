/**
 * Running jobs from the renderer. One subscription to job:progress / job:finished / job:failed for the whole
 * renderer (JobEvents) routes events to the JobRunner that started the job. Events can arrive before
 * `jobs:start` answers (the bridge does not order them), so events for an unknown job id are buffered briefly.
 *
 * A JobRunner runs one job at a time (a new run cancels the previous one) and keeps, per model id: progress,
 * the telemetry history (a fresh $state.raw array per update, so charts see a new reference) and the result.
 */
import type { EventPayloads, JobFailedEvent, JobFinishedEvent, JobProgressEvent } from '../../../shared/ipc'
import type { JobRequestInput, MethodResult, ModelRunInfo, ResultFor, StepTelemetry, Method } from '../../../shared/jobs'
import { errorMessage } from './images.svelte'

export type JobStatus = 'idle' | 'running' | 'done' | 'failed' | 'cancelled'

export interface ModelProgress {
  step: number
  totalSteps: number
  etaMs: number | null
}

export interface ModelOutcome {
  result: MethodResult
  run: ModelRunInfo
}

type JobEvent = { type: 'progress'; payload: JobProgressEvent } | { type: 'finished'; payload: JobFinishedEvent } | { type: 'failed'; payload: JobFailedEvent }

/** How many events to hold for job ids nobody has claimed yet (oldest dropped first). */
const MAX_BUFFERED = 2000

class JobEvents {
  #handlers = new Map<string, (e: JobEvent) => void>()
  #buffer: JobEvent[] = []
  #subscribed = false

  #ensureSubscribed(): void {
    if (this.#subscribed) return
    this.#subscribed = true
    const route = (event: JobEvent): void => {
      const handler = this.#handlers.get(event.payload.jobId)
      if (handler) handler(event)
      else {
        this.#buffer.push(event)
        if (this.#buffer.length > MAX_BUFFERED) this.#buffer.shift()
      }
    }
    window.api.on('job:progress', (payload: EventPayloads['job:progress']) => route({ type: 'progress', payload }))
    window.api.on('job:finished', (payload: EventPayloads['job:finished']) => route({ type: 'finished', payload }))
    window.api.on('job:failed', (payload: EventPayloads['job:failed']) => route({ type: 'failed', payload }))
  }

  /** Call before invoking jobs:start so no event is missed. */
  prepare(): void {
    this.#ensureSubscribed()
  }

  claim(jobId: string, handler: (e: JobEvent) => void): () => void {
    this.#ensureSubscribed()
    this.#handlers.set(jobId, handler)
    const early = this.#buffer.filter((e) => e.payload.jobId === jobId)
    if (early.length) this.#buffer = this.#buffer.filter((e) => e.payload.jobId !== jobId)
    for (const e of early) handler(e)
    return () => void this.#handlers.delete(jobId)
  }

  /** Tests: forget subscriptions (the mocked window.api is replaced between tests). */
  reset(): void {
    this.#handlers.clear()
    this.#buffer = []
    this.#subscribed = false
  }
}

export const jobEvents = new JobEvents()

export class JobRunner {
  status = $state<JobStatus>('idle')
  jobId = $state<string | null>(null)
  error = $state<string | null>(null)
  /** The request of the current / last run (kept for export). */
  request = $state.raw<JobRequestInput | null>(null)
  progress = $state.raw<Record<string, ModelProgress>>({})
  telemetry = $state.raw<Record<string, StepTelemetry[]>>({})
  results = $state.raw<Record<string, ModelOutcome>>({})
  startedAt = $state<number | null>(null)

  readonly running: boolean = $derived(this.status === 'running')
  /** Overall fraction done in [0,1], over every model of the run. */
  readonly fraction: number = $derived(overallFraction(Object.values(this.progress)))
  /** The slowest model's ETA. */
  readonly etaMs: number | null = $derived(maxEta(Object.values(this.progress)))

  #release: (() => void) | null = null
  #settle: ((e: JobFinishedEvent | null) => void) | null = null

  /**
   * Start a job; resolves with the finished event, or null when it failed / was cancelled (see status, error).
   * A run while another is in flight cancels the older one first.
   */
  async run(request: JobRequestInput): Promise<JobFinishedEvent | null> {
    if (this.status === 'running') await this.cancel()
    this.#finish()
    this.request = request
    this.status = 'running'
    this.error = null
    this.jobId = null
    this.progress = Object.fromEntries(request.models.map((m) => [m, { step: 0, totalSteps: 0, etaMs: null }]))
    this.telemetry = {}
    this.results = {}
    this.startedAt = Date.now()
    jobEvents.prepare()
    const done = new Promise<JobFinishedEvent | null>((resolve) => (this.#settle = resolve))
    try {
      const { jobId } = await window.api.invoke('jobs:start', request)
      if (this.request !== request) {
        // superseded or cancelled while starting: stop the orphan on main
        void window.api.invoke('jobs:cancel', jobId).catch(() => undefined)
        return null
      }
      this.jobId = jobId
      this.#release = jobEvents.claim(jobId, (e) => this.#onEvent(e))
    } catch (err) {
      this.status = 'failed'
      this.error = errorMessage(err)
      this.#finish(null)
    }
    return done
  }

  async cancel(): Promise<void> {
    const jobId = this.jobId
    if (this.status !== 'running') return
    if (!jobId) {
      // not started yet: forget it; the start's answer is ignored because the request changed
      this.status = 'cancelled'
      this.request = null
      this.#finish(null)
      return
    }
    try {
      await window.api.invoke('jobs:cancel', jobId)
    } catch (err) {
      this.error = errorMessage(err)
    }
    // the job:failed (cancelled) event settles the run; if the job already finished, nothing changes
  }

  result<M extends Method>(modelId: string, method: M): ResultFor<M> | null {
    const r = this.results[modelId]?.result
    return r && r.method === method ? (r as ResultFor<M>) : null
  }

  #onEvent(e: JobEvent): void {
    if (e.payload.jobId !== this.jobId) return
    switch (e.type) {
      case 'progress': {
        const { modelId, progress } = e.payload
        this.progress = { ...this.progress, [modelId]: { step: progress.step, totalSteps: progress.totalSteps, etaMs: progress.etaMs } }
        if (progress.telemetry) {
          this.telemetry = { ...this.telemetry, [modelId]: [...(this.telemetry[modelId] ?? []), progress.telemetry] }
        }
        break
      }
      case 'finished': {
        this.results = Object.fromEntries(e.payload.results.map((r) => [r.modelId, { result: r.result, run: r.run }]))
        this.progress = Object.fromEntries(
          Object.entries(this.progress).map(([m, p]) => [m, { step: p.totalSteps || 1, totalSteps: p.totalSteps || 1, etaMs: 0 }])
        )
        this.status = 'done'
        this.#finish(e.payload)
        break
      }
      case 'failed': {
        this.status = e.payload.reason === 'cancelled' ? 'cancelled' : 'failed'
        this.error = e.payload.reason === 'cancelled' ? null : e.payload.message
        this.#finish(null)
        break
      }
    }
  }

  #finish(value: JobFinishedEvent | null = null): void {
    this.#release?.()
    this.#release = null
    const settle = this.#settle
    this.#settle = null
    settle?.(value)
  }
}

function overallFraction(list: ModelProgress[]): number {
  if (list.length === 0) return 0
  const sum = list.reduce((acc, p) => acc + (p.totalSteps > 0 ? Math.min(1, p.step / p.totalSteps) : 0), 0)
  return sum / list.length
}

function maxEta(list: ModelProgress[]): number | null {
  const etas = list.map((p) => p.etaMs).filter((v): v is number => v !== null)
  return etas.length ? Math.max(...etas) : null
}

export function formatEta(ms: number | null): string {
  if (ms === null) return '—'
  const s = Math.max(0, Math.round(ms / 1000))
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`
}

/** What RunBar shows for one or several runners: the worst status, mean fraction, slowest ETA, cancel all. */
export interface RunnerGroup {
  status: JobStatus
  running: boolean
  fraction: number
  etaMs: number | null
  error: string | null
  cancel(): Promise<void>
}

export function combineRunners(runners: readonly JobRunner[]): RunnerGroup {
  const statuses = runners.map((r) => r.status)
  const active = runners.filter((r) => r.status !== 'idle')
  const status: JobStatus = statuses.includes('running')
    ? 'running'
    : statuses.includes('failed')
      ? 'failed'
      : statuses.includes('cancelled')
        ? 'cancelled'
        : active.length > 0
          ? 'done'
          : 'idle'
  const etas = active.map((r) => r.etaMs).filter((v): v is number => v !== null)
  return {
    status,
    running: status === 'running',
    fraction: active.length ? active.reduce((a, r) => a + r.fraction, 0) / active.length : 0,
    etaMs: etas.length ? Math.max(...etas) : null,
    error: runners.map((r) => r.error).find((e) => e) ?? null,
    cancel: async () => void (await Promise.all(runners.map((r) => r.cancel())))
  }
}
