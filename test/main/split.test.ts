/**
 * SmoothGrad split over workers with the real engine: a pool of in-process "workers" (serveEngine over a
 * MessageChannel, each with its own engine on the backend under test: wasm and ONNX Runtime) through the job runner,
 * against one unsplit job on the same backend.
 */
import type { Worker } from 'node:worker_threads'
import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPool, type ComputePool } from '../../src/main/compute/pool'
import { idleWorkers, sampleRanges, workersPerJob } from '../../src/main/compute/split'
import type { Engine } from '../../src/main/engine/api'
import { createEngine, writeRandomModel } from '../../src/main/engine/index'
import { createJobRunner } from '../../src/main/jobs'
import type { ImageBatch } from '../../src/shared/images'
import type { JobRequest, SaliencyParams, SaliencyResult } from '../../src/shared/jobs'
import { captureEvents, tempDir } from './helpers'
import { InProcessWorker } from './in-process-worker'

describe('split arithmetic', () => {
  it('cuts samples into contiguous ranges differing by at most one, never empty', () => {
    expect(sampleRanges(50, 2)).toEqual([{ start: 0, end: 25 }, { start: 25, end: 50 }])
    expect(sampleRanges(7, 3)).toEqual([{ start: 0, end: 3 }, { start: 3, end: 5 }, { start: 5, end: 7 }])
    expect(sampleRanges(2, 5)).toEqual([{ start: 0, end: 1 }, { start: 1, end: 2 }])
    expect(sampleRanges(9, 1)).toEqual([{ start: 0, end: 9 }])
  })

  it('gives each job one worker and spreads only the idle workers beyond that', () => {
    expect(workersPerJob(1, 2)).toEqual([2])
    expect(workersPerJob(2, 2)).toEqual([1, 1]) // twin run on two workers: no split
    expect(workersPerJob(2, 5)).toEqual([3, 2])
    expect(workersPerJob(1, 0)).toEqual([1])
    expect(idleWorkers({ workers: 3, ready: 2, busy: 1, queued: 1, replaced: 0 })).toBe(1)
    expect(idleWorkers({ workers: 2, ready: 2, busy: 2, queued: 3, replaced: 0 })).toBe(0)
  })
})

for (const backend of ['wasm', 'onnxruntime'] as const) describe(`SmoothGrad split over two workers with the real engine (${backend})`, () => {
  const tmp = tempDir()
  const engines: Engine[] = []
  let reference: Engine
  let pool: ComputePool
  let partials = 0
  const n = 2
  const images: ImageBatch = { data: new Float32Array(n * 32 * 32 * 3).map((_, i) => 0.5 + 0.4 * Math.sin(i * 0.37)), shape: [n, 32, 32, 3] }

  beforeAll(async () => {
    await writeRandomModel(tmp, { id: 'm', width: 4, seed: 11 })
    reference = await createEngine({ modelsDir: tmp, backends: [backend] })
    const real = createPool(() => new InProcessWorker(engines) as unknown as Worker, { size: 2, modelsDir: tmp, backends: [backend] })
    pool = {
      ...real,
      runPartial: (...args) => (partials++, real.runPartial(...args))
    }
    expect(await real.backend()).toBe(backend)
    for (let i = 0; i < 2000 && real.stats().ready < 2; i++) await new Promise((r) => setTimeout(r, 5))
    // load the model on both workers first: its cached weights are tensors that stay
    await Promise.all([0, 1].map(() => real.run({ modelId: 'm', images, params: { method: 'predict' } })))
  })
  afterAll(async () => {
    await pool.terminate()
    for (const e of [...engines, reference]) e.dispose()
  })

  const params = (kind: 'smoothgrad' | 'smoothgrad2' | 'vargrad', classIndex: number | null): SaliencyParams => ({
    method: 'saliency',
    gradient: classIndex === null ? 'loss' : 'score',
    classIndex,
    smoothing: { kind, samples: 7, sigma: 0.2, clipNoisy: false },
    seed: 42
  })

  for (const [kind, classIndex] of [['smoothgrad', null], ['smoothgrad2', 3], ['vargrad', null]] as const) {
    it(`${kind}: the split job's result equals one unsplit job (up to addition order), with no tensor left behind`, async () => {
      const unsplit = (await reference.run({ modelId: 'm', images, params: params(kind, classIndex) }, { signal: new AbortController().signal, onProgress: () => {} })).result as SaliencyResult
      const before = tf.memory().numTensors
      const events = captureEvents()
      const jobs = createJobRunner({ pool, emit: events.emit, progressIntervalMs: 0 })
      const partsBefore = partials
      const request: JobRequest = { models: ['m'], images, params: params(kind, classIndex) }
      const { jobId } = jobs.start(request)
      const final = await events.final(jobId, 60_000)
      if (final.event !== 'job:finished') throw new Error(JSON.stringify(final.payload))
      expect(partials - partsBefore).toBe(2) // really split
      expect(tf.memory().numTensors).toBe(before)
      const split = final.payload.results[0].result as SaliencyResult
      expect(split.shape).toEqual(unsplit.shape)
      expect(split.classIndex).toEqual(unsplit.classIndex)
      expect([...split.predictions.probabilities]).toEqual([...unsplit.predictions.probabilities])
      expect(split.sigmaAbsolute).toEqual(unsplit.sigmaAbsolute)
      expect(split.outOfRangeFraction).toBe(unsplit.outOfRangeFraction)
      let scale = 0
      let diff = 0
      for (let j = 0; j < unsplit.maps.length; j++) {
        scale = Math.max(scale, Math.abs(unsplit.maps[j]))
        diff = Math.max(diff, Math.abs(split.maps[j] - unsplit.maps[j]))
      }
      expect(scale).toBeGreaterThan(0)
      expect(diff / scale).toBeLessThan(1e-6)
      const steps = events.of('job:progress').map((e) => e.progress.step)
      expect(steps).toEqual([...steps].sort((a, b) => a - b))
      expect(steps.at(-1)).toBe(n * 7)
    }, 60_000)
  }
})
