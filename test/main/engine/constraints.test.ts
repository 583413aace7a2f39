/**
 * Threat models and the projected-gradient loop on a backend that is not TF.js: a linear classifier in plain JS
 * (logits = W·x + b, features = x's first coordinates), whose logit gradient is the constant row w_k, so the loop's
 * end point is known in closed form.
 */
import { describe, expect, it } from 'vitest'
import type { BatchObjective, DifferentiableClassifier, GradientOutputs } from '../../../src/main/engine/classifier'
import { L2_BALL, LINF_BOX, UNCONSTRAINED } from '../../../src/main/engine/constraints'
import { projectedGradientLoop } from '../../../src/main/engine/optimize'
import { Rng } from '../../../src/main/engine/rng'
import { signal } from './helpers'

const H = 4
const PER = H * H * 3
const CLASSES = 3

class LinearClassifier implements DifferentiableClassifier {
  readonly backend = 'linear-js'
  readonly shape = { height: H, width: H, channels: 3 as const, numClasses: CLASSES, representationSize: 2 }
  readonly w = new Rng(9).gaussianArray(CLASSES * PER)
  calls = 0
  private logits(pixels: Float32Array, n: number): Float32Array {
    const out = new Float32Array(n * CLASSES)
    for (let i = 0; i < n; i++) for (let c = 0; c < CLASSES; c++) {
      let s = 0
      for (let j = 0; j < PER; j++) s += this.w[c * PER + j] * pixels[i * PER + j]
      out[i * CLASSES + c] = s
    }
    return out
  }
  async forward(pixels: Float32Array, n: number) {
    const features = new Float32Array(n * 2)
    for (let i = 0; i < n; i++) features.set(pixels.subarray(i * PER, i * PER + 2), i * 2)
    return { logits: this.logits(pixels, n), features }
  }
  async gradient(pixels: Float32Array, n: number, objective: BatchObjective): Promise<GradientOutputs> {
    if (objective.kind !== 'logit') throw new Error('only logits in this test')
    this.calls++
    const { logits, features } = await this.forward(pixels, n)
    const grad = new Float32Array(n * PER)
    const values = new Float32Array(n)
    objective.indices.forEach((k, i) => {
      grad.set(this.w.subarray(k * PER, (k + 1) * PER), i * PER)
      values[i] = logits[i * CLASSES + k]
    })
    return { values, grad, logits, features }
  }
  dispose(): void {}
}

const unit = (v: Float32Array): number[] => {
  const norm = Math.hypot(...v)
  return Array.from(v, (x) => x / norm)
}

describe('constraints', () => {
  it('L2 ball scales δ back onto the sphere only when outside; L∞ box clamps; unconstrained leaves δ alone', () => {
    const outside = Float64Array.from([3, 4])
    L2_BALL.project(outside, 1)
    expect(Array.from(outside).map((v) => v.toFixed(6))).toEqual(['0.600000', '0.800000'])
    const inside = Float64Array.from([0.3, 0.4])
    L2_BALL.project(inside, 1)
    expect(Array.from(inside)).toEqual([0.3, 0.4])
    const box = Float64Array.from([0.5, -0.02, 0.01])
    LINF_BOX.project(box, 0.03)
    expect(Array.from(box)).toEqual([0.03, -0.02, 0.01])
    const free = Float64Array.from([30, -40])
    UNCONSTRAINED.project(free, 1)
    expect(Array.from(free)).toEqual([30, -40])
  })

  it('random starts: L2 on the ε-sphere, L∞ inside the box; unconstrained refuses', () => {
    const center = new Float32Array(PER).fill(0.5)
    const out = new Float32Array(PER)
    L2_BALL.randomStart(center, new Rng(1), 0.2, out)
    expect(Math.hypot(...Array.from(out, (v, j) => v - center[j]))).toBeCloseTo(0.2, 5)
    LINF_BOX.randomStart(center, new Rng(1), 0.1, out)
    expect(Math.max(...Array.from(out, (v, j) => Math.abs(v - center[j])))).toBeLessThanOrEqual(0.1 + 1e-7)
    expect(() => UNCONSTRAINED.randomStart(center, new Rng(1), 1, out)).toThrow('a random start needs a bounded threat model (L2 or L∞)')
  })
})

describe('the projected-gradient loop on a plain-JS linear classifier', () => {
  const model = new LinearClassifier()
  const center = new Float32Array(2 * PER).fill(0.5)
  const objective: BatchObjective = { kind: 'logit', indices: [0, 2] }
  const run = (constraint: typeof L2_BALL, eps: number, stepSize: number, steps: number) =>
    projectedGradientLoop({ model, center, shape: [2, H, H, 3], objective, direction: 'ascend', constraint, eps, stepSize, steps, useBest: false, keepIterates: 0, record: true, signal: signal() })
  const deltaOf = (images: Float32Array, i: number): number[] => Array.from(images.subarray(i * PER, (i + 1) * PER), (v, j) => v - center[i * PER + j])

  it('L2: ascending logit k ends at centre + ε·w_k/‖w_k‖ (one pass per iterate)', async () => {
    model.calls = 0
    const out = await run(L2_BALL, 0.3, 0.05, 10)
    expect(model.calls).toBe(11)
    objective.indices.forEach((k, i) => {
      const expected = unit(model.w.subarray(k * PER, (k + 1) * PER)).map((v) => 0.3 * v)
      deltaOf(out.images, i).forEach((d, j) => expect(d).toBeCloseTo(expected[j], 6))
    })
    expect(out.telemetry.map((t) => t.deltaL2[0].toFixed(4))).toEqual(['0.0000', '0.0500', '0.1000', '0.1500', '0.2000', '0.2500', '0.3000', '0.3000', '0.3000', '0.3000', '0.3000'])
    expect(out.telemetry[0].pTrue).toEqual([])
  })

  it('L∞: ends at centre + ε·sign(w_k); unconstrained: steps·step along w_k/‖w_k‖ with no ball', async () => {
    const box = await run(LINF_BOX, 0.02, 0.005, 6)
    deltaOf(box.images, 0).forEach((d, j) => expect(d).toBeCloseTo(0.02 * Math.sign(model.w[j]), 6))
    const free = await run(UNCONSTRAINED, 0.01, 0.05, 4)
    const expected = unit(model.w.subarray(0, PER)).map((v) => 0.2 * v)
    deltaOf(free.images, 0).forEach((d, j) => expect(d).toBeCloseTo(expected[j], 6))
  })
})
