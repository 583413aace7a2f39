import { afterEach, describe, expect, it } from 'vitest'
import { CancelledError } from '../../src/main/engine/api'
import type { ComputePool } from '../../src/main/compute/pool'
import { fakePool, image } from './helpers'

/** Waiting on a condition: generous, because starting a worker can take seconds on a loaded 2-core machine. */
const UNDER_LOAD = { timeout: 15_000 }

const predict = { method: 'predict' } as const
let pool: ComputePool | null = null
afterEach(async () => {
  await pool?.terminate()
  pool = null
})

describe('compute pool', () => {
  it('runs a job on a worker and returns its result, with progress and the worker backend', async () => {
    pool = fakePool({ modelsDir: '/some/models' })
    expect(await pool.backend()).toBe('fake:/some/models')
    const steps: number[] = []
    const out = await pool.run({ modelId: 'ok', images: image(), params: predict }, { onProgress: (p) => steps.push(p.step) })
    expect(steps).toEqual([1, 2, 3, 4, 5])
    expect(out.result.method).toBe('predict')
    if (out.result.method !== 'predict') throw new Error('unreachable')
    expect(out.result.predictions.probabilities).toBeInstanceOf(Float32Array)
    expect([...out.result.predictions.probabilities]).toEqual([0.25, 0.75])
  })

  it("sends the worker a copy of the pixels, so the caller's array is not detached", async () => {
    pool = fakePool()
    const img = image()
    const out = await pool.run({ modelId: 'ok', images: img, params: predict })
    expect(img.data.length).toBe(32 * 32 * 3)
    expect(out.run.weightsSha256).toBe(String(32 * 32 * 3)) // the worker saw every pixel
  })

  it('runs two jobs at once on two workers', async () => {
    pool = fakePool({ size: 2 })
    await pool.backend()
    const a = pool.run({ modelId: 'slow', images: image(), params: predict })
    const b = pool.run({ modelId: 'slow', images: image(), params: predict })
    await expect.poll(() => pool!.stats(), UNDER_LOAD).toMatchObject({ workers: 2, busy: 2, queued: 0 })
    const outcomes = Promise.allSettled([a, b])
    await pool.terminate()
    const [ra, rb] = await outcomes
    expect(ra.status === 'rejected' && String(ra.reason)).toContain('shut down')
    expect(rb.status === 'rejected' && String(rb.reason)).toContain('shut down')
    pool = null
  })

  it('terminate() asks each worker to shut down and resolves once it has exited; one deaf to that is terminated after the grace', async () => {
    pool = fakePool({ size: 2 })
    await pool.backend()
    const started = Date.now()
    await pool.terminate()
    expect(Date.now() - started).toBeLessThan(5_000) // they exited on the shutdown message, not at the 15 s grace
    pool = null
    const logged: string[] = []
    const deaf = fakePool({ mode: 'deaf-to-shutdown', shutdownGraceMs: 300, log: (m) => logged.push(m) })
    await deaf.backend()
    const t0 = Date.now()
    await deaf.terminate()
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250)
    expect(logged).toContain('compute worker did not stop within 300 ms; terminating it')
  })

  it('fails the job of a worker that exits mid-job with a clear error, replaces the worker and keeps going', async () => {
    pool = fakePool()
    await expect(pool.run({ modelId: 'crash', images: image(), params: predict })).rejects.toThrow('compute worker crashed: exited with code 3')
    expect(pool.stats().replaced).toBe(1)
    const out = await pool.run({ modelId: 'ok', images: image(), params: predict })
    expect(out.run.modelId).toBe('ok')
    expect(pool.stats()).toMatchObject({ workers: 1, busy: 0 })
  })

  it('queues jobs beyond the pool size and still runs them after a crash', async () => {
    pool = fakePool({ size: 1 })
    const crashing = pool.run({ modelId: 'crash', images: image(), params: predict })
    const queued = pool.run({ modelId: 'ok', images: image(), params: predict })
    expect(pool.stats().queued).toBeGreaterThanOrEqual(1)
    await expect(crashing).rejects.toThrow('compute worker crashed')
    await expect(queued).resolves.toMatchObject({ run: { modelId: 'ok' } })
  })

  it('cancels a running job through its AbortSignal and frees the worker', async () => {
    pool = fakePool()
    const controller = new AbortController()
    const steps: number[] = []
    await pool.backend()
    const running = pool.run({ modelId: 'slow', images: image(), params: predict }, { signal: controller.signal, onProgress: (p) => steps.push(p.step) })
    await expect.poll(() => steps.length, UNDER_LOAD).toBeGreaterThan(0) // running, not queued
    controller.abort()
    await expect(running).rejects.toBeInstanceOf(CancelledError)
    const seen = steps.length
    expect(seen).toBeLessThan(200)
    await expect(pool.run({ modelId: 'ok', images: image(), params: predict })).resolves.toMatchObject({ run: { modelId: 'ok' } })
    expect(steps.length).toBe(seen) // no progress after the cancel
  })

  it('cancels a queued job without running it', async () => {
    pool = fakePool()
    const first = pool.run({ modelId: 'ok', images: image(), params: predict })
    const controller = new AbortController()
    const second = pool.run({ modelId: 'slow', images: image(), params: predict }, { signal: controller.signal })
    controller.abort()
    await expect(second).rejects.toBeInstanceOf(CancelledError)
    await first
    expect(pool.stats()).toMatchObject({ queued: 0, busy: 0 })
  })

  it('replaces a worker that ignores a cancel after the grace period', async () => {
    pool = fakePool({ cancelGraceMs: 50 })
    const controller = new AbortController()
    await pool.backend()
    const deaf = pool.run({ modelId: 'deaf', images: image(), params: predict }, { signal: controller.signal })
    expect(pool.stats().busy).toBe(1)
    controller.abort()
    await expect(deaf).rejects.toBeInstanceOf(CancelledError)
    await expect(pool.run({ modelId: 'ok', images: image(), params: predict })).resolves.toMatchObject({ run: { modelId: 'ok' } })
    expect(pool.stats().replaced).toBe(1)
  })

  it('passes a worker error through as the job error', async () => {
    pool = fakePool()
    await expect(pool.run({ modelId: 'fail', images: image(), params: predict })).rejects.toThrow('model exploded')
  })

  it('gives up after workers keep crashing at start, instead of respawning forever', async () => {
    pool = fakePool({ mode: 'crash-at-start', maxStartFailures: 3 })
    await expect(pool.backend()).rejects.toThrow('compute workers keep crashing at start: exited with code 7')
    await expect(pool.run({ modelId: 'ok', images: image(), params: predict })).rejects.toThrow('keep crashing')
  })

  it('reports an engine that cannot start as the reason jobs fail', async () => {
    pool = fakePool({ mode: 'init-error' })
    await expect(pool.backend()).rejects.toThrow('engine failed to start: no backend')
    await expect(pool.run({ modelId: 'ok', images: image(), params: predict })).rejects.toThrow('no backend')
  })

  it('has at least one worker', async () => {
    pool = fakePool({ size: 0 })
    expect(pool.size).toBe(1)
  })
})

describe('compute pool resize', () => {
  let pool: ComputePool | null = null
  afterEach(async () => {
    await pool?.terminate()
    pool = null
  })

  it('grows at once, so two jobs run in parallel after 1 → 2', async () => {
    pool = fakePool({ size: 1 })
    await pool.backend()
    pool.resize(2)
    expect(pool.size).toBe(2)
    const a = pool.run({ modelId: 'slow', images: image(), params: predict })
    const b = pool.run({ modelId: 'slow', images: image(), params: predict })
    await expect.poll(() => pool!.stats().busy, UNDER_LOAD).toBe(2)
    const settled = Promise.allSettled([a, b])
    await pool.terminate()
    await settled
    pool = null
  })

  it('shrinks idle workers at once and a busy one when its job ends', async () => {
    pool = fakePool({ size: 3 })
    await expect.poll(() => pool!.stats().ready, UNDER_LOAD).toBe(3)
    const running = pool.run({ modelId: 'ok', images: image(), params: predict })
    pool.resize(1)
    expect(pool.size).toBe(1)
    expect(pool.stats().workers).toBeLessThanOrEqual(2) // at most the busy one is left over
    await running
    await expect.poll(() => pool!.stats().workers, UNDER_LOAD).toBe(1)
    await expect(pool.run({ modelId: 'ok', images: image(), params: predict })).resolves.toMatchObject({ run: { modelId: 'ok' } })
  })

  it('starts workers with the wasm thread count, and a new count replaces idle workers now and a busy one when its job ends', async () => {
    pool = fakePool({ size: 1, wasmThreads: 2 })
    expect(pool.threads).toBe(2)
    await expect(pool.run({ modelId: 'threads', images: image(), params: predict })).resolves.toMatchObject({ run: { weightsSha256: 'threads:2' } })
    const running = pool.run({ modelId: 'slow', images: image(), params: predict })
    await expect.poll(() => pool!.stats().busy, UNDER_LOAD).toBe(1)
    pool.resize(1, 1)
    expect(pool.threads).toBe(1)
    expect(pool.stats().workers).toBe(2) // the busy 2-thread worker finishes its job; a 1-thread one has started
    await expect(pool.run({ modelId: 'threads', images: image(), params: predict })).resolves.toMatchObject({ run: { weightsSha256: 'threads:1' } })
    await running
    await expect.poll(() => pool!.stats().workers, UNDER_LOAD).toBe(1)
    await expect(pool.run({ modelId: 'threads', images: image(), params: predict })).resolves.toMatchObject({ run: { weightsSha256: 'threads:1' } })
  })

  it('starts workers with the backend order; a new order replaces them, and the engine\'s fallback notices are reported', async () => {
    pool = fakePool({ size: 1 })
    expect(await pool.backend()).toBe('fake:/models')
    expect(pool.backendNotices()).toEqual([])
    const running = pool.run({ modelId: 'slow', images: image(), params: predict })
    await expect.poll(() => pool!.stats().busy, { timeout: 5000 }).toBe(1)
    pool.setBackends(['tensorflow', 'wasm']) // 'tensorflow' fails its check in the fake worker
    expect(pool.stats().workers).toBe(2) // the busy worker finishes its job; one with the new order has started
    expect(await pool.backend()).toBe('wasm')
    expect(pool.backendNotices()).toEqual([expect.stringMatching(/^backend tensorflow failed its start-up check .*; using wasm$/)])
    await expect(pool.run({ modelId: 'backends', images: image(), params: predict })).resolves.toMatchObject({ run: { backend: 'wasm' } })
    await running
    await expect.poll(() => pool!.stats().workers, { timeout: 5000 }).toBe(1)
    pool.setBackends(['tensorflow', 'wasm']) // the same order again: nothing restarts
    expect(pool.stats().workers).toBe(1)
    pool.setBackends(['onnxruntime'])
    expect(await pool.backend()).toBe('onnxruntime')
    expect(pool.backendNotices()).toEqual([])
    await expect(pool.run({ modelId: 'backends', images: image(), params: predict })).resolves.toMatchObject({ run: { backend: 'onnxruntime' } })
  })
})
