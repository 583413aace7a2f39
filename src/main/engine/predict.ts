/** Forward pass → softmax probabilities, batched. */
import type { Predictions } from '../../shared/jobs'
import type { DifferentiableClassifier } from './classifier'
import { forwardInChunks, softmaxRows } from './gradient'

/** Rows of at most this many images per forward pass (bounds the wasm heap). */
export const PREDICT_BATCH = 32

/** Class probabilities of NHWC pixels (e.g. a batch of images or a result's Float32Array). */
export async function predictPixels(model: DifferentiableClassifier, data: Float32Array, shape: readonly [number, number, number, number]): Promise<Predictions> {
  const classes = model.shape.numClasses
  const { logits } = await forwardInChunks(model, data, shape[0], PREDICT_BATCH)
  return { probabilities: softmaxRows(logits, classes), classes }
}

/** argmax per row of a row-major [n, classes] probability matrix. */
export function top1(predictions: Predictions): number[] {
  const { probabilities: p, classes } = predictions
  const n = p.length / classes
  const out: number[] = []
  for (let i = 0; i < n; i++) {
    let best = 0
    for (let c = 1; c < classes; c++) if (p[i * classes + c] > p[i * classes + best]) best = c
    out.push(best)
  }
  return out
}
