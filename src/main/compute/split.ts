/**
 * Spreading one SmoothGrad job's samples over several compute workers (issue 3, item 4). Samples [0, N) are cut into
 * contiguous ranges, one per worker; each worker returns partial sums (Σg, Σg², count) for its range
 * (engine.saliencyPartial); main adds them (combinePartials) and finishes the map (finishSmoothGrad). The noise of
 * sample s of image i depends only on (seed, s, i) (engine/saliency/smoothgrad.ts), so any split gives the map of
 * one unsplit job, up to the order of the floating-point additions. No TF.js here: this runs in Electron's main.
 */
import { CancelledError, type EngineJob } from '../engine/api'
import { combinePartials, finishSmoothGrad } from '../engine/saliency/partials'
import type { JobProgress, Predictions, SaliencyResult } from '../../shared/jobs'
import type { ComputePool, EngineOutput, PartialOutput, PoolStats, RunOptions } from './pool'
import type { SampleRange } from './protocol'

/** The pool as the job runner and the CLI see it; without runPartial/stats every job runs whole. */
export type JobPool = Pick<ComputePool, 'run'> & Partial<Pick<ComputePool, 'runPartial' | 'stats'>>

export interface PoolOutput extends EngineOutput {
  /** The sample ranges, one per worker, when the job was split. */
  ranges?: SampleRange[]
}

/** N when the job is a SmoothGrad variant (its samples can be split), else 0. */
export function splittableSamples(job: EngineJob): number {
  const p = job.params
  return p.method === 'saliency' && p.smoothing.kind !== 'none' ? p.smoothing.samples : 0
}

/** [0, samples) as `parts` contiguous ranges whose sizes differ by at most one; never an empty range. */
export function sampleRanges(samples: number, parts: number): SampleRange[] {
  const count = Math.max(1, Math.min(Math.floor(parts), samples))
  const ranges: SampleRange[] = []
  let start = 0
  for (let k = 0; k < count; k++) {
    const end = start + Math.floor(samples / count) + (k < samples % count ? 1 : 0)
    ranges.push({ start, end })
    start = end
  }
  return ranges
}

/** Workers that can take a part now: alive (ready or still starting), not busy, not claimed by a queued task. */
export function idleWorkers(stats: PoolStats): number {
  return Math.max(0, stats.workers - stats.busy - stats.queued)
}

/**
 * Workers for each of `jobs` jobs starting together (the models of a twin run): one each, and the idle workers beyond
 * one per job spread over them in order. With no more idle workers than jobs nothing is split (a twin run on two
 * workers keeps one worker per model).
 */
export function workersPerJob(jobs: number, idle: number): number[] {
  if (idle <= jobs) return new Array<number>(jobs).fill(1)
  return Array.from({ length: jobs }, (_, i) => Math.floor(idle / jobs) + (i < idle % jobs ? 1 : 0))
}

/** Top-1 class per image: the engine's rule (engine/predict.ts top1, first maximum wins), without loading TF.js. */
function top1(predictions: Predictions): number[] {
  const { probabilities: p, classes } = predictions
  return Array.from({ length: p.length / classes }, (_, i) => {
    let best = 0
    for (let c = 1; c < classes; c++) if (p[i * classes + c] > p[i * classes + best]) best = c
    return best
  })
}

/** Progress of the whole job from the latest progress of each part: samples done over all parts / n · N. */
function progressOfParts(parts: number, totalSteps: number, onProgress?: (p: JobProgress) => void) {
  const done = new Array<number>(parts).fill(0)
  const eta = new Array<number | null>(parts).fill(null)
  return (part: number, p: JobProgress): void => {
    if (p.step <= done[part]) return // a part's steps only grow; keep the sum monotone whatever arrives
    done[part] = p.step
    eta[part] = p.etaMs
    const step = done.reduce((a, b) => a + b, 0)
    // parts run side by side: the job ends with its slowest part (unknown until every part has reported)
    const etaMs = step >= totalSteps ? 0 : eta.some((e) => e === null) ? null : Math.max(...(eta as number[]))
    onProgress?.({ step, totalSteps, etaMs })
  }
}

/**
 * One SmoothGrad job on `parts` workers at once. Cancelling `options.signal` cancels every part; the first part that
 * fails (a crashed worker, an engine error) cancels the others and fails the job, naming its samples.
 */
export async function runSplit(pool: Pick<ComputePool, 'runPartial'>, job: EngineJob, parts: number, options: RunOptions = {}): Promise<PoolOutput> {
  const { params } = job
  if (params.method !== 'saliency' || params.smoothing.kind === 'none') throw new Error('only SmoothGrad jobs can be split over workers')
  const { samples, kind } = params.smoothing
  const ranges = sampleRanges(samples, parts)
  const started = performance.now()
  const onPart = progressOfParts(ranges.length, job.images.shape[0] * samples, options.onProgress)
  const partsSignal = new AbortController()
  const outer = options.signal
  if (outer?.aborted) throw new CancelledError()
  const forwardAbort = (): void => partsSignal.abort()
  outer?.addEventListener('abort', forwardAbort, { once: true })
  let outputs: PartialOutput[]
  try {
    outputs = await Promise.all(
      ranges.map((range, k) =>
        pool
          .runPartial(job, range, { signal: partsSignal.signal, predictions: k === 0, onProgress: (p) => onPart(k, p) })
          .catch((error: unknown) => {
            if (error instanceof CancelledError) throw error
            const message = error instanceof Error ? error.message : String(error)
            throw new Error(`${message} (SmoothGrad samples ${range.start}–${range.end - 1} of ${samples}, split over ${ranges.length} workers)`)
          })
      )
    )
  } catch (error) {
    partsSignal.abort() // stop the parts still running
    throw outer?.aborted ? new CancelledError() : error
  } finally {
    outer?.removeEventListener('abort', forwardAbort)
  }
  const [first] = outputs
  if (outputs.some((o) => o.run.weightsSha256 !== first.run.weightsSha256)) throw new Error(`workers loaded different weights for model ${job.modelId}`)
  const predictions = first.predictions
  if (!predictions) throw new Error('the first SmoothGrad part came back without predictions')
  const combined = combinePartials(outputs.map((o) => o.partial))
  const { maps, outOfRangeFraction } = finishSmoothGrad(combined, kind)
  const result: SaliencyResult = {
    method: 'saliency',
    maps,
    shape: job.images.shape,
    classIndex: params.classIndex === null ? top1(predictions) : new Array<number>(job.images.shape[0]).fill(params.classIndex),
    sigmaAbsolute: combined.sigmaAbsolute,
    outOfRangeFraction,
    predictions
  }
  return { result, run: { ...first.run, ms: performance.now() - started }, ranges }
}

/** `split: false` keeps a SmoothGrad job on one worker (e.g. to time it against the split). */
export type SplitRunOptions = RunOptions & { split?: boolean }

/**
 * Jobs that start together (one per model of a request) on the pool: each SmoothGrad job split over its share of
 * the idle workers (workersPerJob), every other job whole on one worker. One promise per job, in order.
 */
export function runOnPool(pool: JobPool, jobs: EngineJob[], options: SplitRunOptions[]): Promise<PoolOutput>[] {
  const splitter = pool.runPartial && pool.stats ? { runPartial: pool.runPartial.bind(pool) } : null
  const shares = splitter && pool.stats ? workersPerJob(jobs.length, idleWorkers(pool.stats())) : jobs.map(() => 1)
  return jobs.map((job, i) => {
    const { split = true, ...runOptions } = options[i] ?? {}
    const parts = split ? Math.min(shares[i], splittableSamples(job)) : 1
    if (splitter && parts > 1) return runSplit(splitter, job, parts, runOptions)
    return pool.run(job, runOptions)
  })
}

/**
 * `run` for callers that start jobs one call at a time (the CLI's runner): calls made in the same tick start together
 * through runOnPool, so the models of one command share the idle workers as a twin run does in the app, and a lone
 * SmoothGrad job gets every idle worker.
 */
export function batchedRun(pool: JobPool): (job: EngineJob, options?: SplitRunOptions) => Promise<PoolOutput> {
  let pending: { job: EngineJob; options: SplitRunOptions; resolve(out: PoolOutput): void; reject(error: unknown): void }[] = []
  const startPending = (): void => {
    const batch = pending
    pending = []
    const runs = runOnPool(
      pool,
      batch.map((p) => p.job),
      batch.map((p) => p.options)
    )
    runs.forEach((run, i) => run.then(batch[i].resolve, batch[i].reject))
  }
  return (job, options = {}) =>
    new Promise<PoolOutput>((resolve, reject) => {
      if (pending.length === 0) queueMicrotask(startPending)
      pending.push({ job, options, resolve, reject })
    })
}
