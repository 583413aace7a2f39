import { afterEach, describe, expect, it, vi } from 'vitest'
import type { ComputePool } from '../../src/main/compute/pool'
import { createJobRunner, progressThrottle } from '../../src/main/jobs'
import type { JobRequest } from '../../src/shared/jobs'
import { captureEvents, fakePool, image } from './helpers'

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
    const { jobId } = jobs.start(request(['slow', 'ok']))
    await new Promise((r) => setTimeout(r, 50))
    expect(pool.stats().busy).toBe(2)
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
    await new Promise((r) => setTimeout(r, 150))
    expect(jobs.cancel(jobId)).toBe(true)
    const final = await events.final(jobId)
    expect(final).toMatchObject({ event: 'job:failed', payload: { jobId, reason: 'cancelled' } })
    const count = events.events.length
    await new Promise((r) => setTimeout(r, 100))
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
    const { jobId } = jobs.start(request(['slow', 'fail']))
    const final = await events.final(jobId)
    expect(final).toMatchObject({ event: 'job:failed', payload: { reason: 'error', message: 'fail: model exploded' } })
    await new Promise((r) => setTimeout(r, 50))
    expect(pool.stats().busy).toBe(0) // the slow half was cancelled, not left running
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
