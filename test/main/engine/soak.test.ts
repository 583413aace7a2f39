/**
 * Soak: 1000 consecutive jobs (every method) on one engine must not grow the tensor count, tfjs bytes or the JS
 * heap. Slow; runs only with SOAK=1 (SOAK_JOBS overrides the count): `SOAK=1 npx vitest run test/main/engine/soak.test.ts`.
 */
import v8 from 'node:v8'
import vm from 'node:vm'
import * as tf from '@tensorflow/tfjs'
import { afterAll, describe, expect, it } from 'vitest'
import type { EngineJob } from '../../../src/main/engine/api'
import { createEngine, writeRandomModel } from '../../../src/main/engine/index'
import type { MethodParams } from '../../../src/shared/jobs'
import { randomImages, signal, tempDir } from './helpers'

const enabled = process.env.SOAK === '1'

/** A real full GC, so heap numbers are comparable (heapUsed without GC is mostly garbage). */
function collectGarbage(): void {
  v8.setFlagsFromString('--expose-gc')
  ;(vm.runInNewContext('gc') as () => void)()
}
const tmp = tempDir()
afterAll(() => tmp.remove())

const jobs: MethodParams[] = [
  { method: 'predict' },
  { method: 'saliency', gradient: 'loss', classIndex: null, smoothing: { kind: 'none' }, seed: 1 },
  { method: 'saliency', gradient: 'score', classIndex: 2, smoothing: { kind: 'vargrad', samples: 4, sigma: 0.15, clipNoisy: false }, seed: 1 },
  { method: 'attack', threat: 'l2', eps: 0.5, stepSize: 0.2, steps: 5, targeted: true, targetClass: 3, trueClass: null, randomStart: true, restarts: 1, useBest: true, keepIterates: 2, seed: 1 },
  { method: 'featureViz', feature: 1, fakeRelu: true, start: 'noise', noiseSigma: 0.05, eps: 1000, stepSize: 1, steps: 5, keepIterates: 1, seed: 1 },
  { method: 'activations', features: [] },
  { method: 'evaluate', labels: [0, 1], threat: 'linf', epsList: [0, 0.03], steps: 3, stepFactor: 2.5, randomStart: true, minimalEps: false, seed: 1 }
]

describe.skipIf(!enabled)('soak (runs only with SOAK=1: minutes of jobs)', () => {
  it('1000 consecutive jobs leave tensors, tfjs bytes and heap flat', async () => {
    await writeRandomModel(tmp.dir, { id: 'soak', width: 2, seed: 1 })
    const engine = await createEngine({ modelsDir: tmp.dir, backends: ['wasm'] })
    const images = randomImages(2, 32, 5)
    const total = Number(process.env.SOAK_JOBS ?? 1000)
    const runOne = (i: number) => engine.run({ modelId: 'soak', images, params: jobs[i % jobs.length] } as EngineJob, { signal: signal(), onProgress: () => {} })
    for (let i = 0; i < 2 * jobs.length; i++) await runOne(i) // warm-up: model load, plans, heap growth to steady state
    collectGarbage()
    const start = { tensors: tf.memory().numTensors, bytes: tf.memory().numBytes, heap: process.memoryUsage().heapUsed }
    const t0 = performance.now()
    const heapAt: number[] = []
    for (let i = 0; i < total; i++) {
      await runOne(i)
      if ((i + 1) % Math.ceil(total / 4) === 0) {
        collectGarbage()
        heapAt.push(process.memoryUsage().heapUsed)
      }
    }
    collectGarbage()
    const end = { tensors: tf.memory().numTensors, bytes: tf.memory().numBytes, heap: process.memoryUsage().heapUsed }
    console.log(`SOAK ${total} jobs in ${((performance.now() - t0) / 1000).toFixed(1)} s: tensors ${start.tensors} → ${end.tensors}, tfjs bytes ${start.bytes} → ${end.bytes}, JS heap ${(start.heap / 1e6).toFixed(1)} → ${(end.heap / 1e6).toFixed(1)} MB (quarters: ${heapAt.map((h) => (h / 1e6).toFixed(1)).join(', ')} MB)`)
    expect(end.tensors).toBe(start.tensors)
    expect(end.bytes).toBe(start.bytes)
    expect(end.heap).toBeLessThan(start.heap + 10e6)
    engine.dispose()
  }, 3_600_000)
})
