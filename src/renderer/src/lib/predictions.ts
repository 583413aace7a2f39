/** Helpers over Predictions (softmax rows, shared by every view). */
import type { Predictions } from '../../../shared/jobs'

export interface Ranked {
  index: number
  p: number
}

/** The k most probable classes of image `n`, best first. */
export function topK(predictions: Predictions, k = 5, n = 0): Ranked[] {
  const row = predictions.probabilities.subarray(n * predictions.classes, (n + 1) * predictions.classes)
  return [...row]
    .map((p, index) => ({ index, p }))
    .sort((a, b) => b.p - a.p)
    .slice(0, k)
}

export function formatProbability(p: number): string {
  return p >= 0.995 ? `${(p * 100).toFixed(1)}%` : p >= 0.001 ? `${(p * 100).toFixed(1)}%` : p > 0 ? '<0.1%' : '0%'
}

/** Top-1 class and probability of image i in a Predictions block. */
export function top1(pred: { probabilities: Float32Array; classes: number }, image: number): { index: number; p: number } {
  let index = 0
  let p = -1
  const base = image * pred.classes
  for (let c = 0; c < pred.classes; c++) {
    const v = pred.probabilities[base + c]
    if (v > p) {
      p = v
      index = c
    }
  }
  return { index, p }
}

/** Entropy (nats) of image `n`'s softmax row. */
export function entropy(predictions: Predictions, n = 0): number {
  const row = predictions.probabilities.subarray(n * predictions.classes, (n + 1) * predictions.classes)
  let h = 0
  for (const p of row) if (p > 0) h -= p * Math.log(p)
  return h
}

/**
 * When a photo is likely outside the model's classes: top-1 probability below 50 % or entropy above 60 % of the
 * maximum ln(classes). Thresholds are a heuristic, stated on screen; in-distribution photos the pair gets right sit
 * well inside them.
 */
export const OUT_OF_CLASSES = { minTop1: 0.5, maxEntropyFraction: 0.6 } as const

export function outOfClasses(predictions: Predictions, n = 0): { likely: boolean; top1: number; entropyFraction: number } {
  const best = top1(predictions, n)
  const fraction = entropy(predictions, n) / Math.log(predictions.classes)
  return { likely: best.p < OUT_OF_CLASSES.minTop1 || fraction > OUT_OF_CLASSES.maxEntropyFraction, top1: best.p, entropyFraction: fraction }
}
