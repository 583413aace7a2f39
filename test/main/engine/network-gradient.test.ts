import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TfjsClassifier, tfjsFactory } from '../../../src/main/engine/backends/tfjs/index'
import { objectiveGradient, type BatchObjective } from '../../../src/main/engine/backends/tfjs/objective'
import { objectiveGradient as chunkedGradient } from '../../../src/main/engine/gradient'
import { LoadedModel } from '../../../src/main/engine/models/load'
import { writeRandomModel } from '../../../src/main/engine/models/random'
import { Rng } from '../../../src/main/engine/rng'
import { numTensors, randomImages, relativeError, tempDir, useBackend } from './helpers'

const tmp = tempDir()
afterAll(() => tmp.remove())

type Arch = 'resnet18-cifar' | 'resnet18' | 'resnet50'
const nets: { architecture: Arch; width: number; size: number }[] = [
  { architecture: 'resnet18-cifar', width: 4, size: 32 },
  { architecture: 'resnet18-cifar', width: 2, size: 33 },
  { architecture: 'resnet18', width: 2, size: 64 },
  { architecture: 'resnet18', width: 2, size: 67 },
  { architecture: 'resnet50', width: 2, size: 40 }
]
const objectives: BatchObjective[] = [
  { kind: 'crossEntropy', indices: [3, 7] },
  { kind: 'logit', indices: [1, 1] },
  { kind: 'feature', indices: [5, 2] },
  { kind: 'feature', indices: [5, 2], fakeRelu: true }
]

const netOf = (model: LoadedModel): TfjsClassifier['net'] => (model.classifier as TfjsClassifier).net

function gradientOf(model: LoadedModel, images: Float32Array, size: number, objective: BatchObjective, reference: boolean): Float32Array {
  return tf.tidy(() => {
    const x = tf.tensor4d(images, [2, size, size, 3])
    return objectiveGradient(netOf(model), x, objective, reference).grad.dataSync() as Float32Array
  })
}

describe('whole-network input gradients: fast path vs plain tf.grad of an unfused forward on cpu', () => {
  const references = new Map<string, Float32Array>()
  const models: LoadedModel[] = []
  beforeAll(async () => {
    await useBackend('cpu')
    for (const [i, n] of nets.entries()) {
      const { dir } = await writeRandomModel(tmp.dir, { id: `net${i}`, architecture: n.architecture, width: n.width, inputSize: n.size, seed: i + 10 })
      models.push(await LoadedModel.load(dir, tfjsFactory('cpu'))) // warm-up prepares the backward filters (kept)
    }
  })
  afterAll(() => models.forEach((m) => m.dispose()))

  it('cpu: fast == reference (rel err ≤ 1e-5) for every net and objective, no leak', () => {
    const before = numTensors()
    nets.forEach((n, i) => {
      const images = randomImages(2, n.size, 100 + i).data
      for (const [j, objective] of objectives.entries()) {
        const ref = gradientOf(models[i], images, n.size, objective, true)
        references.set(`${i}/${j}`, ref)
        expect(Math.max(...ref.map(Math.abs)), 'non-trivial gradient').toBeGreaterThan(0)
        const fast = gradientOf(models[i], images, n.size, objective, false)
        expect(relativeError(fast, ref), `${n.architecture}@${n.size} ${JSON.stringify(objective)}`).toBeLessThanOrEqual(1e-5)
      }
    })
    expect(numTensors()).toBe(before)
  })

  it('wasm: fast == cpu reference (rel err ≤ 1e-5), no leak', async () => {
    await useBackend('wasm')
    try {
      const before = numTensors()
      nets.forEach((n, i) => {
        const images = randomImages(2, n.size, 100 + i).data
        for (const [j, objective] of objectives.entries()) {
          const fast = gradientOf(models[i], images, n.size, objective, false)
          expect(relativeError(fast, references.get(`${i}/${j}`)!), `${n.architecture}@${n.size} ${JSON.stringify(objective)}`).toBeLessThanOrEqual(1e-5)
        }
      })
      expect(numTensors()).toBe(before)
    } finally {
      await useBackend('cpu')
    }
  })

  it('fakeRelu changes the feature gradient of a dead unit from zero to non-zero', () => {
    // find a representation coordinate that is 0 (dead after the last ReLU) for image 0
    const model = models[0]
    const images = randomImages(2, 32, 100).data
    const features = tf.tidy(() => netOf(model).forward(tf.tensor4d(images, [2, 32, 32, 3])).features.dataSync() as Float32Array)
    const size = model.representationSize
    const dead = Array.from({ length: size }, (_, k) => k).find((k) => features[k] === 0 && features[size + k] === 0)
    expect(dead, 'a dead unit exists in this random net').toBeDefined()
    const plain = gradientOf(model, images, 32, { kind: 'feature', indices: [dead!, dead!] }, false)
    const fake = gradientOf(model, images, 32, { kind: 'feature', indices: [dead!, dead!], fakeRelu: true }, false)
    expect(Math.max(...plain.map(Math.abs))).toBe(0)
    expect(Math.max(...fake.map(Math.abs))).toBeGreaterThan(0)
  })
})

describe('chunked gradients', () => {
  it('the engine\'s objectiveGradient over 1-row chunks gives the same values, gradients, logits and features as one pass', async () => {
    await useBackend('wasm')
    const { dir } = await writeRandomModel(tmp.dir, { id: 'chunks', width: 4, seed: 8 })
    const model = await LoadedModel.load(dir, tfjsFactory('wasm'))
    try {
      const images = randomImages(3, 32, 4).data
      const objective: BatchObjective = { kind: 'crossEntropy', indices: [1, 5, 9] }
      const before = numTensors()
      const whole = await chunkedGradient(model.classifier, images, 3, objective, 1000)
      const chunked = await chunkedGradient(model.classifier, images, 3, objective, 1)
      expect(numTensors()).toBe(before)
      expect(chunked.grad.length).toBe(whole.grad.length)
      expect(relativeError(chunked.grad, whole.grad)).toBeLessThanOrEqual(1e-5)
      expect(relativeError(chunked.values, whole.values)).toBeLessThanOrEqual(1e-5)
      expect(relativeError(chunked.logits, whole.logits)).toBeLessThanOrEqual(1e-5)
      expect(relativeError(chunked.features, whole.features)).toBeLessThanOrEqual(1e-5)
    } finally {
      model.dispose()
      await useBackend('cpu')
    }
  })

  it('an out-of-range class or a wrong index count is refused before the backend runs', async () => {
    await useBackend('cpu')
    const model = await LoadedModel.load(join(tmp.dir, 'chunks'), tfjsFactory('cpu'), { warmUp: false })
    try {
      const images = randomImages(2, 32, 4).data
      await expect(chunkedGradient(model.classifier, images, 2, { kind: 'logit', indices: [1, 10] }, 16)).rejects.toThrow('class 10 is out of range [0, 10)')
      await expect(chunkedGradient(model.classifier, images, 2, { kind: 'feature', indices: [1] }, 16)).rejects.toThrow('objective has 1 indices for a batch of 2')
    } finally {
      model.dispose()
    }
  })
})

describe('central finite differences on a tiny net (cpu)', () => {
  it('per-pixel central differences match the analytic gradient (≤ 2e-3 of max |g|) for CE and logit', async () => {
    await useBackend('cpu')
    const { dir } = await writeRandomModel(tmp.dir, { id: 'fd', width: 4, seed: 5, inputSize: 8 })
    const model = await LoadedModel.load(dir, tfjsFactory('cpu'), { warmUp: false })
    try {
      const images = randomImages(1, 8, 7).data
      for (const objective of [{ kind: 'crossEntropy', indices: [2] }, { kind: 'logit', indices: [2] }] as BatchObjective[]) {
        const at = (data: Float32Array): tf.Tensor4D => tf.tensor4d(data, [1, 8, 8, 3])
        const grad = tf.tidy(() => objectiveGradient(netOf(model), at(images), objective).grad.dataSync() as Float32Array)
        const value = (data: Float32Array): number => tf.tidy(() => objectiveGradient(netOf(model), at(data), objective).values.dataSync()[0])
        const largest = Math.max(...grad.map(Math.abs))
        expect(largest).toBeGreaterThan(0)
        const h = 1e-3 // single-pixel steps: few ReLU kinks crossed; float32 round-off ≈ 1e-4 of the value
        for (let i = 0; i < images.length; i += 5) {
          const plus = images.slice()
          plus[i] += h
          const minus = images.slice()
          minus[i] -= h
          const fd = (value(plus) - value(minus)) / (2 * h)
          expect(Math.abs(fd - grad[i]), `${objective.kind} pixel ${i}`).toBeLessThanOrEqual(2e-3 * largest)
        }
      }
    } finally {
      model.dispose()
    }
  })
})

describe('max-pool gradient on wasm', () => {
  it('matches cpu on all-negative windows (where stock wasm MaxPoolGrad loses the gradient)', async () => {
    const rng = new Rng(11)
    const data = rng.uniformArray(2 * 9 * 10 * 5, -3, -0.1)
    const r = rng.gaussianArray(2 * 5 * 5 * 5)
    const grad = (): Float32Array =>
      tf.tidy(() => {
        const f = (x: tf.Tensor): tf.Tensor => tf.sum(tf.mul(tf.maxPool(x as tf.Tensor4D, 3, 2, 1), tf.tensor(r, [2, 5, 5, 5])))
        return tf.grad(f)(tf.tensor4d(data, [2, 9, 10, 5])).dataSync() as Float32Array
      })
    await useBackend('cpu')
    const cpu = grad()
    await useBackend('wasm')
    const before = numTensors()
    const wasm = grad()
    expect(numTensors()).toBe(before)
    await useBackend('cpu')
    expect(Math.max(...cpu.map(Math.abs))).toBeGreaterThan(0)
    expect(relativeError(wasm, cpu)).toBeLessThanOrEqual(1e-6)
  })
})
