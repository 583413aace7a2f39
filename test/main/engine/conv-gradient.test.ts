import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createConv, type ConvSpec } from '../../../src/main/engine/backends/tfjs/ops/conv'
import { Rng } from '../../../src/main/engine/rng'
import { numTensors, relativeError, useBackend } from './helpers'

interface Case extends ConvSpec {
  size: [number, number]
}

function cases(): Case[] {
  const out: Case[] = []
  for (const kernel of [1, 2, 3, 4, 5, 7])
    for (const stride of [1, 2, 3])
      for (const pad of [...new Set([0, Math.floor(kernel / 2), kernel - 1])])
        for (const size of [[7, 7], [8, 6], [9, 10]] as [number, number][])
          for (const relu of [false, true]) {
            if (size[0] + 2 * pad < kernel || size[1] + 2 * pad < kernel) continue
            out.push({ kernel, stride, pad, cin: 3, cout: 4, relu, size })
          }
  return out
}

/** d(Σ y·R)/dx of a plain conv2d + bias (+ relu), by tf.grad on the current backend. */
function referenceGradient(c: Case, w: Float32Array, b: Float32Array, x: tf.Tensor4D, r: Float32Array): Float32Array {
  return tf.tidy(() => {
    const W = tf.tensor4d(w, [c.kernel, c.kernel, c.cin, c.cout])
    const B = tf.tensor1d(b)
    const f = (input: tf.Tensor): tf.Tensor => {
      let y = tf.add(tf.conv2d(input as tf.Tensor4D, W, c.stride, [[0, 0], [c.pad, c.pad], [c.pad, c.pad], [0, 0]]), B)
      if (c.relu) y = tf.relu(y)
      return tf.sum(tf.mul(y, tf.tensor(r, y.shape)))
    }
    return tf.grad(f)(x).dataSync() as Float32Array
  })
}

function fastGradient(c: Case, w: Float32Array, b: Float32Array, x: tf.Tensor4D, r: Float32Array): { grad: Float32Array; y: Float32Array } {
  const conv = createConv(c, w, b)
  try {
    return tf.tidy(() => {
      const y = conv.apply(x)
      const f = (input: tf.Tensor): tf.Tensor => tf.sum(tf.mul(conv.apply(input as tf.Tensor4D), tf.tensor(r, y.shape)))
      return { grad: tf.grad(f)(x).dataSync() as Float32Array, y: y.dataSync() as Float32Array }
    })
  } finally {
    conv.dispose()
  }
}

function inputs(c: Case, seed: number): { w: Float32Array; b: Float32Array; xData: Float32Array; r: Float32Array; outShape: number[] } {
  const rng = new Rng(seed)
  const [h, wd] = c.size
  const oh = Math.floor((h + 2 * c.pad - c.kernel) / c.stride) + 1
  const ow = Math.floor((wd + 2 * c.pad - c.kernel) / c.stride) + 1
  return {
    w: rng.gaussianArray(c.kernel * c.kernel * c.cin * c.cout),
    b: rng.gaussianArray(c.cout, 0.5),
    xData: rng.gaussianArray(2 * h * wd * c.cin),
    r: rng.gaussianArray(2 * oh * ow * c.cout),
    outShape: [2, oh, ow, c.cout]
  }
}

describe('fast conv input gradient vs tf.grad of plain conv2d on cpu', () => {
  const all = cases()
  const reference = new Map<number, Float32Array>()

  beforeAll(async () => {
    await useBackend('cpu')
  })

  it(`matches on the cpu backend for ${all.length} (k, s, pad, size, relu) configurations (rel err ≤ 1e-5)`, () => {
    const before = numTensors()
    all.forEach((c, i) => {
      const { w, b, xData, r } = inputs(c, i + 1)
      const x = tf.tensor4d(xData, [2, c.size[0], c.size[1], c.cin])
      const ref = referenceGradient(c, w, b, x, r)
      reference.set(i, ref)
      const fast = fastGradient(c, w, b, x, r)
      x.dispose()
      const err = relativeError(fast.grad, ref)
      expect(err, JSON.stringify(c)).toBeLessThanOrEqual(1e-5)
    })
    expect(numTensors()).toBe(before)
  })

  describe('on wasm', () => {
    beforeAll(async () => {
      await useBackend('wasm')
    })
    afterAll(async () => {
      await useBackend('cpu')
    })
    it('matches the cpu reference for every configuration (rel err ≤ 1e-5)', () => {
      const before = numTensors()
      all.forEach((c, i) => {
        const { w, b, xData, r } = inputs(c, i + 1)
        const x = tf.tensor4d(xData, [2, c.size[0], c.size[1], c.cin])
        const fast = fastGradient(c, w, b, x, r)
        x.dispose()
        expect(relativeError(fast.grad, reference.get(i)!), JSON.stringify(c)).toBeLessThanOrEqual(1e-5)
      })
      expect(numTensors()).toBe(before)
    })
  })

  it('a wrong polyphase filter would be caught (the check is sensitive)', () => {
    const c: Case = { kernel: 3, stride: 2, pad: 1, cin: 3, cout: 4, relu: false, size: [8, 8] }
    const { w, b, xData, r } = inputs(c, 99)
    const x = tf.tensor4d(xData, [2, 8, 8, 3])
    const ref = referenceGradient(c, w, b, x, r)
    // same conv with TF 'same'-style asymmetric padding (pad 0 before, 1 after) must NOT match PyTorch padding
    const shifted = tf.tidy(() => {
      const W = tf.tensor4d(w, [3, 3, 3, 4])
      const f = (input: tf.Tensor): tf.Tensor =>
        tf.sum(tf.mul(tf.add(tf.conv2d(input as tf.Tensor4D, W, 2, 'same'), tf.tensor1d(b)), tf.tensor(r, [2, 4, 4, 4])))
      return tf.grad(f)(x).dataSync() as Float32Array
    })
    x.dispose()
    expect(relativeError(shifted, ref)).toBeGreaterThan(0.1)
  })
})
