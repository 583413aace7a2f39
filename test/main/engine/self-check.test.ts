import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { BatchObjective, ClassifierFactory, DifferentiableClassifier, GradientOutputs } from '../../../src/main/engine/classifier'
import type { EngineJob } from '../../../src/main/engine/api'
import { createEngine, writeRandomModel } from '../../../src/main/engine/index'
import { TfjsClassifier, tfjsFactory } from '../../../src/main/engine/backends/tfjs/index'
import { objectiveGradient } from '../../../src/main/engine/backends/tfjs/objective'
import {
  agreement,
  runSelfCheck,
  selfCheckModel,
  selfCheckOutputs,
  selfCheckProblems,
  SELF_CHECK_BATCH,
  SELF_CHECK_OBJECTIVES,
  type SelfCheckValues
} from '../../../src/main/engine/backends/self-check'
import KNOWN from '../../../src/main/engine/backends/self-check-values.json'
import { numTensors, signal, tempDir, useBackend } from './helpers'

const VALUES_FILE = fileURLToPath(new URL('../../../src/main/engine/backends/self-check-values.json', import.meta.url))

/** The unfused TF.js network with plain tf.grad (the verification path), behind the seam. */
class ReferenceClassifier implements DifferentiableClassifier {
  readonly backend = 'reference'
  constructor(private readonly inner: TfjsClassifier) {}
  get shape() {
    return this.inner.shape
  }
  private input(pixels: Float32Array, batch: number): tf.Tensor4D {
    return tf.tensor4d(pixels, [batch, this.shape.height, this.shape.width, 3])
  }
  async forward(pixels: Float32Array, batch: number) {
    return tf.tidy(() => {
      const out = this.inner.forwardTensors(this.input(pixels, batch), { reference: true })
      return { logits: out.logits.dataSync() as Float32Array, features: out.features.dataSync() as Float32Array }
    })
  }
  async gradient(pixels: Float32Array, batch: number, objective: BatchObjective): Promise<GradientOutputs> {
    return tf.tidy(() => {
      const r = objectiveGradient(this.inner.net, this.input(pixels, batch), objective, true)
      return { values: r.values.dataSync() as Float32Array, grad: r.grad.dataSync() as Float32Array, logits: r.logits.dataSync() as Float32Array, features: r.features.dataSync() as Float32Array }
    })
  }
  dispose(): void {
    this.inner.dispose()
  }
}

/** A backend that runs TF.js cpu but corrupts one thing of its gradients (what a broken binding would look like). */
function brokenFactory(corrupt: (objective: BatchObjective, out: GradientOutputs) => GradientOutputs): ClassifierFactory {
  const inner = tfjsFactory('cpu')
  return {
    name: 'tensorflow',
    start: inner.start,
    async create(model, options) {
      const c = await inner.create(model, options)
      return {
        backend: 'tensorflow',
        shape: c.shape,
        forward: (p, b) => c.forward(p, b),
        gradient: async (p, b, o) => corrupt(o, await c.gradient(p, b, o)),
        dispose: () => c.dispose()
      }
    }
  }
}

const tmp = tempDir()
afterAll(() => tmp.remove())

describe('self-check known values', () => {
  let reference: SelfCheckValues
  beforeAll(async () => {
    await useBackend('cpu')
    const classifier = new ReferenceClassifier(TfjsClassifier.create('cpu', selfCheckModel(), { maxBatch: SELF_CHECK_BATCH, warmUp: false }))
    try {
      reference = await selfCheckOutputs(classifier)
    } finally {
      classifier.dispose()
    }
    if (process.env.UPDATE_SELF_CHECK === '1') {
      const round = (v: number): number => Number(v.toPrecision(9))
      const stored = { logits: reference.logits.map(round), features: reference.features.map(round), gradients: reference.gradients.map((g) => ({ values: g.values.map(round), grad: g.grad.map(round) })) }
      writeFileSync(VALUES_FILE, JSON.stringify(stored) + '\n')
    }
  })

  it('are the unfused TF.js network with plain tf.grad on cpu (the stored file is current)', () => {
    expect(selfCheckProblems(reference, KNOWN)).toEqual([])
    for (const key of ['logits', 'features'] as const) expect(agreement(reference[key], KNOWN[key]).relative).toBeLessThanOrEqual(1e-6)
    reference.gradients.forEach((g, i) => expect(agreement(g.grad, KNOWN.gradients[i].grad).relative, JSON.stringify(SELF_CHECK_OBJECTIVES[i])).toBeLessThanOrEqual(1e-6))
  })

  it('exercise every objective kind with non-zero gradients; the fake-ReLU one on dead units (zero without fake-ReLU)', () => {
    expect(KNOWN.gradients).toHaveLength(SELF_CHECK_OBJECTIVES.length)
    for (const g of KNOWN.gradients) expect(Math.max(...g.grad.map(Math.abs))).toBeGreaterThan(0)
    const fake = SELF_CHECK_OBJECTIVES[3]
    expect(fake.fakeRelu).toBe(true)
    const size = KNOWN.features.length / SELF_CHECK_BATCH
    fake.indices.forEach((unit, i) => expect(KNOWN.features[i * size + unit], `unit ${unit} of image ${i}`).toBe(0))
  })
})

describe('self-check of the TF.js backends', () => {
  it('wasm and cpu (fast path) pass, leaving no tensor behind', async () => {
    for (const name of ['wasm', 'cpu'] as const) {
      const factory = tfjsFactory(name)
      await factory.start({ threads: 1 })
      const before = numTensors()
      await expect(runSelfCheck(factory)).resolves.toBeUndefined()
      expect(numTensors(), name).toBe(before)
    }
  })

  it('names what is wrong: a backend that ignores fake-ReLU, a scaled gradient, wrong logits', async () => {
    await useBackend('cpu')
    const classifier = TfjsClassifier.create('cpu', selfCheckModel(), { maxBatch: SELF_CHECK_BATCH, warmUp: false })
    try {
      const good = await selfCheckOutputs(classifier)
      expect(selfCheckProblems(good)).toEqual([])
      const noFakeRelu = { ...good, gradients: good.gradients.map((g, i) => (i === 3 ? { ...g, grad: g.grad.map(() => 0) } : g)) }
      expect(selfCheckProblems(noFakeRelu)).toEqual([expect.stringMatching(/^feature \(fake ReLU\) gradient off \(cosine 0\.000000, relative 1\.00\)$/)])
      const scaled = { ...good, gradients: good.gradients.map((g, i) => (i === 0 ? { ...g, grad: g.grad.map((v) => v * 1.01) } : g)) }
      expect(selfCheckProblems(scaled)).toEqual([expect.stringMatching(/^crossEntropy gradient off \(cosine 1\.000000, relative 0\.0100\)$/)])
      const logits = { ...good, logits: good.logits.map((v, i) => (i === 0 ? v + 1 : v)) }
      expect(selfCheckProblems(logits)).toEqual([expect.stringMatching(/^logits off by /)])
    } finally {
      classifier.dispose()
    }
  })
})

describe('backend selection', () => {
  beforeAll(async () => {
    await writeRandomModel(tmp.dir, { id: 'm', width: 2, seed: 3 })
  })
  const predict: EngineJob = { modelId: 'm', images: { data: new Float32Array(32 * 32 * 3).fill(0.5), shape: [1, 32, 32, 3] }, params: { method: 'predict' } }

  it('a backend that fails its self-check is skipped with a notice; the next one is used', async () => {
    const ignoresFakeRelu = brokenFactory((objective, out) => (objective.fakeRelu ? { ...out, grad: out.grad.map(() => 0) } : out))
    const engine = await createEngine({ modelsDir: tmp.dir, backends: ['tensorflow', 'wasm'], factories: { tensorflow: ignoresFakeRelu } })
    try {
      expect(engine.backend).toBe('wasm')
      expect(engine.backendNotices).toEqual([expect.stringMatching(/^backend tensorflow failed its start-up check \(feature \(fake ReLU\) gradient off .*\); using wasm$/)])
      expect(engine.backendAttempts?.map((a) => a.outcome)).toEqual(['failed-check', 'selected'])
      const { run } = await engine.run(predict, { signal: signal(), onProgress: () => {} })
      expect(run.backend).toBe('wasm')
    } finally {
      engine.dispose()
    }
  })

  it('a backend that cannot start or is not built in is skipped without a notice', async () => {
    const missing: ClassifierFactory = { name: 'tensorflow', start: async () => Promise.reject(new Error('@tensorflow/tfjs-node is not installed')), create: () => Promise.reject(new Error('unreachable')) }
    // onnxruntime: undefined stands for a build without it
    const engine = await createEngine({ modelsDir: tmp.dir, backends: ['tensorflow', 'onnxruntime', 'cpu'], factories: { tensorflow: missing, onnxruntime: undefined } })
    try {
      expect(engine.backend).toBe('cpu')
      expect(engine.backendNotices).toEqual([])
      expect(engine.backendAttempts).toEqual([
        { name: 'tensorflow', outcome: 'unavailable', reason: '@tensorflow/tfjs-node is not installed' },
        { name: 'onnxruntime', outcome: 'unavailable', reason: 'not built into this version' },
        { name: 'cpu', outcome: 'selected' }
      ])
    } finally {
      engine.dispose()
    }
  })

  it('when no backend passes, createEngine fails with every reason', async () => {
    const wrong = brokenFactory((_o, out) => ({ ...out, grad: out.grad.map((v) => -v) }))
    await expect(createEngine({ modelsDir: tmp.dir, backends: ['tensorflow', 'onnxruntime'], factories: { tensorflow: wrong, onnxruntime: undefined } })).rejects.toThrow(
      /^no compute backend could be started \(tensorflow: crossEntropy gradient off \(cosine -1\.000000.*; onnxruntime: not built into this version\)$/
    )
  })
})
