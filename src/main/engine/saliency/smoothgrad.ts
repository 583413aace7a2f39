/**
 * SmoothGrad family (science.md §6) around ANY gradient function (PAIR-code / Captum NoiseTunnel style):
 * SG = mean g(x + n), SG² = mean g(x + n)², VarGrad = SG² − SG², with n ~ N(0, σ²I), σ = fraction × (max − min) of
 * the image. Noise of sample s for image i comes from its own seeded stream (seed, s, i), so any split of the
 * samples into sub-ranges (over workers) gives the same noise, and partial sums combine exactly.
 */
import { checkpoint, type ProgressTracker } from '../progress'
import { gradientBatchFor } from '../batching'
import { deriveSeed, Rng } from '../rng'
import type { GradientFn } from './gradient'
import type { SmoothGradPartial } from './partials'

// the combining half is tf-free (main combines the parts of a split job without loading TF.js)
export { combinePartials, finishSmoothGrad, type SmoothGradPartial, type SmoothingKind } from './partials'

export interface SmoothGradOptions {
  /** Noise σ as a fraction of each image's range. */
  sigma: number
  /** Clip x + noise to [0,1] before the model. */
  clipNoisy: boolean
  seed: number
  /** Samples [start, end) of the full N. */
  start: number
  end: number
  /** Noisy copies per forward/backward pass (default: gradientBatchFor the input size). */
  sampleBatch?: number
  signal: AbortSignal
  progress?: ProgressTracker
}

/** Noise for sample `sample` of image `image` (independent of how samples are batched or split). */
export function sampleNoise(seed: number, sample: number, image: number, size: number, sigma: number): Float32Array {
  return new Rng(deriveSeed(seed, sample, image)).gaussianArray(size, sigma)
}

export function imageRange(data: Float32Array): number {
  let lo = Infinity
  let hi = -Infinity
  for (const v of data) {
    if (v < lo) lo = v
    if (v > hi) hi = v
  }
  return hi - lo
}

export async function smoothGradPartial(images: Float32Array, shape: [number, number, number, number], gradient: GradientFn, options: SmoothGradOptions): Promise<SmoothGradPartial> {
  const [n, h, w, c] = shape
  const per = h * w * c
  const batch = Math.max(1, options.sampleBatch ?? gradientBatchFor(h, w))
  const sum = new Float64Array(n * per)
  const sumSquares = new Float64Array(n * per)
  const sigmaAbsolute: number[] = []
  let outOfRange = 0
  let noisyValues = 0
  for (let i = 0; i < n; i++) {
    const image = images.subarray(i * per, (i + 1) * per)
    const sigma = options.sigma * imageRange(image)
    sigmaAbsolute.push(sigma)
    for (let s0 = options.start; s0 < options.end; s0 += batch) {
      const count = Math.min(batch, options.end - s0)
      const noisy = new Float32Array(count * per)
      for (let k = 0; k < count; k++) {
        const noise = sampleNoise(options.seed, s0 + k, i, per, sigma)
        for (let j = 0; j < per; j++) {
          let v = image[j] + noise[j]
          if (v < 0 || v > 1) {
            outOfRange++
            if (options.clipNoisy) v = v < 0 ? 0 : 1
          }
          noisy[k * per + j] = v
        }
      }
      noisyValues += count * per
      const g = await gradient(noisy, count, i)
      const base = i * per
      for (let k = 0; k < count; k++) {
        const row = k * per
        for (let j = 0; j < per; j++) {
          const v = g[row + j]
          sum[base + j] += v
          sumSquares[base + j] += v * v
        }
      }
      options.progress?.advance(count)
      await checkpoint(options.signal)
    }
  }
  return { shape, sum, sumSquares, count: Math.max(0, options.end - options.start), outOfRange, noisyValues, sigmaAbsolute }
}
