/**
 * Combining SmoothGrad partial sums (science.md §6) — plain arrays, no TF.js, so the main process can combine the parts
 * of a job whose samples were spread over several compute workers (src/main/compute/split.ts).
 */

export type SmoothingKind = 'smoothgrad' | 'smoothgrad2' | 'vargrad'

/** Partial sums over a sub-range of samples, per image (Float64 so that combining is exact up to addition order). */
export interface SmoothGradPartial {
  shape: [number, number, number, number]
  sum: Float64Array
  sumSquares: Float64Array
  /** Samples summed (the same for every image). */
  count: number
  /** Noisy input values outside [0,1] (before optional clipping), and all noisy values. */
  outOfRange: number
  noisyValues: number
  sigmaAbsolute: number[]
}

/** Adds partial sums over disjoint sample ranges of the same images. */
export function combinePartials(parts: SmoothGradPartial[]): SmoothGradPartial {
  if (parts.length === 0) throw new Error('no SmoothGrad partial sums to combine')
  const [first] = parts
  const sum = new Float64Array(first.sum.length)
  const sumSquares = new Float64Array(first.sum.length)
  let count = 0
  let outOfRange = 0
  let noisyValues = 0
  for (const p of parts) {
    if (p.sum.length !== sum.length) throw new Error('SmoothGrad partial sums over different image batches')
    for (let j = 0; j < sum.length; j++) {
      sum[j] += p.sum[j]
      sumSquares[j] += p.sumSquares[j]
    }
    count += p.count
    outOfRange += p.outOfRange
    noisyValues += p.noisyValues
  }
  return { shape: first.shape, sum, sumSquares, count, outOfRange, noisyValues, sigmaAbsolute: first.sigmaAbsolute }
}

/** The final map from (combined) partial sums. */
export function finishSmoothGrad(partial: SmoothGradPartial, kind: SmoothingKind): { maps: Float32Array; outOfRangeFraction: number } {
  const { sum, sumSquares, count } = partial
  if (count <= 0) throw new Error('SmoothGrad needs at least one sample')
  const maps = new Float32Array(sum.length)
  for (let j = 0; j < sum.length; j++) {
    const mean = sum[j] / count
    const meanSquare = sumSquares[j] / count
    maps[j] = kind === 'smoothgrad' ? mean : kind === 'smoothgrad2' ? meanSquare : Math.max(0, meanSquare - mean * mean)
  }
  return { maps, outOfRangeFraction: partial.noisyValues > 0 ? partial.outOfRange / partial.noisyValues : 0 }
}
