/**
 * Runs for a side-by-side view: one twin job when the parameters are linked, one job per model when they are not.
 * JobRunner runs one job at a time, so this holds one runner per job and answers per model id, whichever runner
 * ran it. The run bar (components/RunBar) aggregates progress and ETA over `active`.
 */
import type { JobFinishedEvent } from '../../../../shared/ipc'
import type { JobRequestInput, Method, ResultFor, StepTelemetry } from '../../../../shared/jobs'
import { JobRunner, type JobStatus } from '../jobs.svelte'

export class SideRuns {
  readonly runners: JobRunner[]
  /** How many runners the last run used. */
  used = $state(0)

  constructor(count = 2) {
    this.runners = Array.from({ length: count }, () => new JobRunner())
  }

  get active(): JobRunner[] {
    return this.runners.slice(0, this.used)
  }

  get status(): JobStatus {
    const list = this.active.map((r) => r.status)
    if (list.length === 0) return 'idle'
    if (list.includes('running')) return 'running'
    if (list.includes('failed')) return 'failed'
    if (list.includes('cancelled')) return 'cancelled'
    return list.every((s) => s === 'done') ? 'done' : 'idle'
  }

  get running(): boolean {
    return this.status === 'running'
  }

  /** Start every job at once; resolves when all settled (null entries = failed or cancelled). */
  async run(requests: JobRequestInput[]): Promise<(JobFinishedEvent | null)[]> {
    if (requests.length > this.runners.length) throw new Error(`at most ${this.runners.length} jobs at once`)
    await this.cancel()
    this.used = requests.length
    return Promise.all(requests.map((req, i) => this.runners[i].run(req)))
  }

  /** run(), answering whether every job finished (none failed or was cancelled). */
  async runAll(requests: JobRequestInput[]): Promise<boolean> {
    const finished = await this.run(requests)
    return finished.length > 0 && finished.every((f) => f !== null)
  }

  async cancel(): Promise<void> {
    await Promise.all(this.active.map((r) => r.cancel()))
  }

  #runnerFor(modelId: string): JobRunner | undefined {
    return this.active.find((r) => r.request?.models.includes(modelId))
  }

  result<M extends Method>(modelId: string, method: M): ResultFor<M> | null {
    return this.#runnerFor(modelId)?.result(modelId, method) ?? null
  }

  /** Live telemetry received so far for one model (throttled by main; the result carries every step). */
  telemetry(modelId: string): StepTelemetry[] {
    return this.#runnerFor(modelId)?.telemetry[modelId] ?? []
  }

  /** Every step of one model's run: the result's once it is in, else the live telemetry so far. */
  history(modelId: string, method: 'attack' | 'featureViz'): StepTelemetry[] {
    return this.result(modelId, method)?.telemetry ?? this.telemetry(modelId)
  }

  /** The image batch sent to one model in the last run. */
  images(modelId: string): JobRequestInput['images'] | null {
    return this.#runnerFor(modelId)?.request?.images ?? null
  }
}
