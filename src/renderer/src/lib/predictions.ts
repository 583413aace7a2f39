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
