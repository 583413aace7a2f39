/** Forward pass → softmax probabilities, batched. */
import * as tf from '@tensorflow/tfjs'
import type { Predictions } from '../../shared/jobs'
import type { LoadedModel } from './models/load'

/** Rows of at most this many images per forward pass (bounds the wasm heap). */
export const PREDICT_BATCH = 32

export function predict(model: LoadedModel, x: tf.Tensor4D): Predictions {
  const n = x.shape[0]
  const classes = model.classCount
  const probabilities = new Float32Array(n * classes)
  for (let start = 0; start < n; start += PREDICT_BATCH) {
    const size = Math.min(PREDICT_BATCH, n - start)
    const p = tf.tidy(() => {
      const part = size === n ? x : tf.slice(x, [start, 0, 0, 0], [size, -1, -1, -1])
      return tf.softmax(model.forward(part).logits)
    })
    probabilities.set(p.dataSync(), start * classes)
    p.dispose()
  }
  return { probabilities, classes }
}

/** predict() on raw NHWC pixels (e.g. a result's Float32Array): the temporary tensor is always freed. */
export function predictPixels(model: LoadedModel, data: Float32Array, shape: readonly [number, number, number, number]): Predictions {
  const x = tf.tensor4d(data, [...shape] as [number, number, number, number])
  try {
    return predict(model, x)
  } finally {
    x.dispose()
  }
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
