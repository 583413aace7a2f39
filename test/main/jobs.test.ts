import { afterEach, describe, expect, it, vi } from 'vitest'
import type { ComputePool } from '../../src/main/compute/pool'
import { batchedRun } from '../../src/main/compute/split'
import { createJobRunner, progressThrottle } from '../../src/main/jobs'
import type { JobRequest, SaliencyResult } from '../../src/shared/jobs'
import { captureEvents, fakePool, image } from './helpers'

/** Waiting on a condition: generous, because starting a worker can take seconds on a loaded 2-core machine. */
const UNDER_LOAD = { timeout: 15_000 }

const request = (models: string[]): JobRequest => ({ models, images: image(), params: { method: 'predict' } })
let pool: ComputePool | null = null
afterEach(async () => {
  vi.useRealTimers()
  await pool?.terminate()
  pool = null
})

describe('job runner', () => {
  it('returns a job id at once, forwards progress, then emits one job:finished', async () => {
    pool = fakePool()
    const events = captureEvents()
    const jobs = createJobRunner({ pool, emit: events.emit })
    const { jobId } = jobs.start(request(['ok']))
    expect(jobId).toBe('job-1')
    expect(events.events).toEqual([]) // nothing has happened yet: start does not wait
    const final = await events.final(jobId)
    expect(final.event).toBe('job:finished')
    const progress = events.of('job:progress')
    expect(progress.length).toBeGreaterThan(0)
    expect(progress.at(-1)).toMatchObject({ jobId, modelId: 'ok', progress: { step: 5, totalSteps: 5 } })
    expect(events.of('job:finished')).toHaveLength(1)
    expect(events.events.at(-1)?.event).toBe('job:finished') // no progress after the end
    expect(jobs.start(request(['ok'])).jobId).toBe('job-2')
  })

  it('throttles a flood of progress to about 20 per second per model and always sends the last step', async () => {
    pool = fakePool()
    const events = captureEvents()
    const jobs = createJobRunner({ pool, emit: events.emit })
    const { jobId } = jobs.start(request(['fast']))
    await events.final(jobId)
    const steps = events.of('job:progress').map((e) => e.progress.step)
    expect(steps.length).toBeLessThan(10) // 100 steps were reported by the worker within a few ms
    expect(steps.at(-1)).toBe(100)
  })

  it('runs a twin run on two workers in parallel and returns both results in model order', async () => {
    pool = fakePool({ size: 2 })
    await pool.backend()
    const events = captureEvents()
    const jobs = createJobRunner({ pool, emit: events.emit })
    // two 2-second halves: both workers busy at once is a state that lasts, so waiting on it cannot miss it
    const { jobId } = jobs.start(request(['slow', 'slow']))
    await expect.poll(() => pool!.stats().busy, UNDER_LOAD).toBe(2)
    jobs.cancel(jobId)
    await events.final(jobId)
    const twin = jobs.start(request(['ok', 'fast']))
    const final = await events.final(twin.jobId)
    expect(final.event).toBe('job:finished')
    if (final.event !== 'job:finished') return
    expect(final.payload.results.map((r) => r.modelId)).toEqual(['ok', 'fast'])
    const models = new Set(events.of('job:progress').filter((e) => e.jobId === twin.jobId).map((e) => e.modelId))
    expect(models).toEqual(new Set(['ok', 'fast']))
  })

  it('cancels a running job: job:failed with reason cancelled, and nothing after it', async () => {
    pool = fakePool()
    const events = captureEvents()
    const jobs = createJobRunner({ pool, emit: events.emit })
    const { jobId } = jobs.start(request(['slow']))
    await expect.poll(() => events.of('job:progress').length, UNDER_LOAD).toBeGreaterThan(0) // running
    expect(jobs.cancel(jobId)).toBe(true)
    const final = await events.final(jobId)
    expect(final).toMatchObject({ event: 'job:failed', payload: { jobId, reason: 'cancelled' } })
    const count = events.events.length
    await new Promise((r) => setTimeout(r, 100)) // an absence: nothing may arrive in the next 100 ms
    expect(events.events.length).toBe(count)
    expect(jobs.cancel(jobId)).toBe(false) // already over
    expect(jobs.active()).toEqual([])
  })

  it('answers false when cancelling an unknown or finished job', async () => {
    pool = fakePool()
    const events = captureEvents()
    const jobs = createJobRunner({ pool, emit: events.emit })
    expect(jobs.cancel('job-99')).toBe(false)
    const { jobId } = jobs.start(request(['ok']))
    await events.final(jobId)
    expect(jobs.cancel(jobId)).toBe(false)
  })

  it('fails a twin run with the failing model named, and stops the other half', async () => {
    pool = fakePool({ size: 2 })
    const events = captureEvents()
    const jobs = createJobRunner({ pool, emit: events.emit })
    const signals: AbortSignal[] = []
    const run = pool.run.bind(pool)
    pool.run = (job, options) => (options?.signal && signals.push(options.signal), run(job, options))
    const { jobId } = jobs.start(request(['slow', 'fail']))
    const final = await events.final(jobId)
    expect(final).toMatchObject({ event: 'job:failed', payload: { reason: 'error', message: 'fail: model exploded' } })
    // the slow half was cancelled, not left running
    expect(signals).toHaveLength(2)
    expect(signals.every((s) => s.aborted)).toBe(true)
    await expect.poll(() => pool!.stats().busy, UNDER_LOAD).toBe(0)
  })

  it('fails the job of a crashed worker with a clear error and runs the next job', async () => {
    pool = fakePool()
    const events = captureEvents()
    const jobs = createJobRunner({ pool, emit: events.emit })
    const crashed = jobs.start(request(['crash']))
    expect(await events.final(crashed.jobId)).toMatchObject({
      event: 'job:failed',
      payload: { reason: 'error', message: expect.stringContaining('compute worker crashed: exited with code 3') }
    })
    const next = jobs.start(request(['ok']))
    expect((await events.final(next.jobId)).event).toBe('job:finished')
  })
})

/** A SmoothGrad request; the fake worker answers `partial` messages with sums of its fakeGradient. */
const smoothGrad = (models: string[], samples: number, kind: 'smoothgrad' | 'smoothgrad2' | 'vargrad' = 'smoothgrad'): JobRequest => ({
  models,
  images: image(2, 2),
  params: { method: 'saliency', gradient: 'loss', classIndex: null, smoothing: { kind, samples, sigma: 0.15, clipNoisy: false }, seed: 1 }
})
const fakeGradient = (sample: number, image: number, j: number): number => ((sample + 1) * ((j % 7) + 1) + image) / 10

describe('job runner: SmoothGrad samples split over idle workers', () => {
  it('splits one model over two idle workers: the combined map, monotone progress over all samples, one job:finished', async () => {
    pool = fakePool({ size: 2 })
    await expect.poll(() => pool!.stats().ready, UNDER_LOAD).toBe(2)
    const events = captureEvents()
    const jobs = createJobRunner({ pool, emit: events.emit, progressIntervalMs: 0 })
    const samples = 9
    const { jobId } = jobs.start(smoothGrad(['ok'], samples))
    await expect.poll(() => pool!.stats().busy, UNDER_LOAD).toBe(2) // both workers on the one model
    const final = await events.final(jobId)
    if (final.event !== 'job:finished') throw new Error(JSON.stringify(final.payload))
    const r = final.payload.results[0].result as SaliencyResult
    expect(r.method).toBe('saliency') // combined from partial sums, not a whole-job (predict) answer of the fake
    const per = 2 * 2 * 3
    const expected = Array.from({ length: per }, (_, j) => {
      let sum = 0
      for (let s = 0; s < samples; s++) sum += fakeGradient(s, 0, j)
      return Math.fround(sum / samples)
    })
    expect([...r.maps]).toEqual(expected)
    expect(r.classIndex).toEqual([1]) // top-1 of the fake predictions [0.25, 0.75]
    expect(r.outOfRangeFraction).toBeCloseTo(5 / (samples * per), 12) // the fake counts its range start (0 + 5)
    const steps = events.of('job:progress').map((e) => e.progress.step)
    expect(steps.length).toBeGreaterThan(2)
    expect(steps).toEqual([...steps].sort((a, b) => a - b))
    expect(new Set(steps).size).toBe(steps.length)
    expect(steps.at(-1)).toBe(samples)
    expect(events.of('job:progress').every((e) => e.progress.totalSteps === samples)).toBe(true)
    expect(events.of('job:finished')).toHaveLength(1)
    expect(events.events.at(-1)?.event).toBe('job:finished')
  })

  for (const kind of ['smoothgrad2', 'vargrad'] as const) {
    it(`${kind}: the split result is computed from the combined sums`, async () => {
      pool = fakePool({ size: 3 })
      const events = captureEvents()
      const jobs = createJobRunner({ pool, emit: events.emit })
      const samples = 7
      const { jobId } = jobs.start(smoothGrad(['ok'], samples, kind))
      const final = await events.final(jobId)
      if (final.event !== 'job:finished') throw new Error(JSON.stringify(final.payload))
      const r = final.payload.results[0].result as SaliencyResult
      const expected = Array.from({ length: 12 }, (_, j) => {
        let sum = 0
        let squares = 0
        for (let s = 0; s < samples; s++) {
          sum += fakeGradient(s, 0, j)
          squares += fakeGradient(s, 0, j) ** 2
        }
        const mean = sum / samples
        return Math.fround(kind === 'smoothgrad2' ? squares / samples : Math.max(0, squares / samples - mean * mean))
      })
      expect([...r.maps]).toEqual(expected)
    })
  }

  it('keeps one worker per model in a twin run on two workers (no split)', async () => {
    pool = fakePool({ size: 2 })
    const events = captureEvents()
    const jobs = createJobRunner({ pool, emit: events.emit })
    const { jobId } = jobs.start(smoothGrad(['ok', 'fast'], 8))
    const final = await events.final(jobId)
    if (final.event !== 'job:finished') throw new Error(JSON.stringify(final.payload))
    // whole jobs: the fake worker answers `run` with a predict result, partial sums only when split
    expect(final.payload.results.map((r) => r.result.method)).toEqual(['predict', 'predict'])
  })

  it('does not split a job that is not SmoothGrad, nor when the other workers are busy', async () => {
    pool = fakePool({ size: 2 })
    const events = captureEvents()
    const jobs = createJobRunner({ pool, emit: events.emit })
    const busy = jobs.start(request(['slow']))
    const { jobId } = jobs.start(smoothGrad(['ok'], 8))
    const final = await events.final(jobId)
    if (final.event !== 'job:finished') throw new Error(JSON.stringify(final.payload))
    expect(final.payload.results[0].result.method).toBe('predict')
    jobs.cancel(busy.jobId)
    await events.final(busy.jobId)
  })

  it('cancel during a split stops every part: job:failed cancelled, both workers free, nothing after', async () => {
    pool = fakePool({ size: 2 })
    const events = captureEvents()
    const jobs = createJobRunner({ pool, emit: events.emit })
    const { jobId } = jobs.start(smoothGrad(['slow'], 400))
    await expect.poll(() => pool!.stats().busy, UNDER_LOAD).toBe(2) // the second worker may still be starting at first
    await expect.poll(() => events.of('job:progress').length, UNDER_LOAD).toBeGreaterThan(0)
    expect(jobs.cancel(jobId)).toBe(true)
    expect(await events.final(jobId)).toMatchObject({ event: 'job:failed', payload: { jobId, reason: 'cancelled' } })
    await expect.poll(() => pool!.stats().busy, UNDER_LOAD).toBe(0) // both parts answered their cancel
    const count = events.events.length
    await new Promise((r) => setTimeout(r, 100)) // an absence: nothing may arrive in the next 100 ms
    expect(events.events.length).toBe(count)
    expect(pool.stats().replaced).toBe(0)
  })

  it('fails the job when one part crashes, naming its samples, cancels the other part and runs the next job', async () => {
    pool = fakePool({ size: 2 })
    const events = captureEvents()
    const jobs = createJobRunner({ pool, emit: events.emit })
    const { jobId } = jobs.start(smoothGrad(['crash'], 400))
    expect(await events.final(jobId)).toMatchObject({
      event: 'job:failed',
      payload: { reason: 'error', message: 'compute worker crashed: exited with code 3 (SmoothGrad samples 200–399 of 400, split over 2 workers)' }
    })
    await expect.poll(() => pool!.stats(), UNDER_LOAD).toMatchObject({ busy: 0, ready: 2, replaced: 1 })
    const next = jobs.start(smoothGrad(['ok'], 4))
    expect((await events.final(next.jobId)).event).toBe('job:finished')
  })
})

describe('batchedRun (the CLI runner on a pool)', () => {
  it('splits a lone SmoothGrad job over both workers, and keeps two jobs asked for in the same tick whole', async () => {
    pool = fakePool({ size: 2 })
    const run = batchedRun(pool)
    const job = (modelId: string) => ({ modelId, images: image(2, 2), params: smoothGrad([modelId], 6).params })
    const lone = await run(job('ok'))
    expect(lone.result.method).toBe('saliency')
    expect(lone.ranges).toEqual([{ start: 0, end: 3 }, { start: 3, end: 6 }])
    const twin = await Promise.all([run(job('ok')), run(job('fast'))])
    expect(twin.map((o) => [o.result.method, o.ranges])).toEqual([['predict', undefined], ['predict', undefined]])
    const kept = await run(job('ok'), { split: false })
    expect(kept.result.method).toBe('predict')
  })
})

describe('progressThrottle', () => {
  it('sends the first step, holds the rest of the interval, then sends only the latest', () => {
    vi.useFakeTimers()
    const sent: number[] = []
    const t = progressThrottle((p) => sent.push(p.step), 50, () => Date.now())
    for (let step = 1; step <= 5; step++) t.push({ step, totalSteps: 10, etaMs: null })
    expect(sent).toEqual([1])
    vi.advanceTimersByTime(50)
    expect(sent).toEqual([1, 5])
    t.push({ step: 6, totalSteps: 10, etaMs: null })
    t.drop()
    vi.advanceTimersByTime(100)
    expect(sent).toEqual([1, 5]) // dropped, never sent
    t.push({ step: 10, totalSteps: 10, etaMs: null })
    expect(sent).toEqual([1, 5, 10]) // the last step goes out at once
  })
})
