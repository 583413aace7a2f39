/**
 * THE gradient primitive every method uses, over the model seam (classifier.ts): per-example objective values,
 * logits, features and ∇ₓ Σ_b value_b, in row chunks of at most `maxRows` images (the same numbers as one pass; the
 * backend only ever holds one chunk's tape). Objectives are validated here, once, for every backend.
 */
import type { BatchObjective, DifferentiableClassifier, ForwardOutputs, GradientOutputs } from './classifier'

export type { BatchObjective }

/** Throws unless `objective` has one in-range index per example. */
export function checkObjective(model: DifferentiableClassifier, objective: BatchObjective, batch: number): void {
  const size = objective.kind === 'feature' ? model.shape.representationSize : model.shape.numClasses
  if (objective.indices.length !== batch) throw new Error(`objective has ${objective.indices.length} indices for a batch of ${batch}`)
  for (const i of objective.indices) {
    if (!(Number.isInteger(i) && i >= 0 && i < size)) {
      throw new Error(`${objective.kind === 'feature' ? 'representation coordinate' : 'class'} ${i} is out of range [0, ${size})`)
    }
  }
}

const rowsPerCall = (model: DifferentiableClassifier, maxRows: number): number => Math.max(1, Math.min(maxRows, model.maxBatch ?? Infinity))

/** Concatenates per-chunk outputs (typed arrays of the same kind) in order. */
function concatRows<K extends string>(parts: Record<K, Float32Array>[], keys: K[]): Record<K, Float32Array> {
  const out = {} as Record<K, Float32Array>
  for (const key of keys) {
    const joined = new Float32Array(parts.reduce((n, p) => n + p[key].length, 0))
    let offset = 0
    for (const p of parts) {
      joined.set(p[key], offset)
      offset += p[key].length
    }
    out[key] = joined
  }
  return out
}

/** classifier.gradient over row chunks of at most `maxRows` images (and the backend's maxBatch), concatenated. */
export async function objectiveGradient(model: DifferentiableClassifier, pixels: Float32Array, batch: number, objective: BatchObjective, maxRows: number): Promise<GradientOutputs> {
  checkObjective(model, objective, batch)
  const rows = rowsPerCall(model, maxRows)
  if (batch <= rows) return model.gradient(pixels, batch, objective)
  const per = pixels.length / batch
  const parts: GradientOutputs[] = []
  for (let start = 0; start < batch; start += rows) {
    const count = Math.min(rows, batch - start)
    const chunk = { ...objective, indices: objective.indices.slice(start, start + count) }
    parts.push(await model.gradient(pixels.subarray(start * per, (start + count) * per), count, chunk))
  }
  return concatRows(parts, ['values', 'grad', 'logits', 'features'])
}

/** classifier.forward over row chunks of at most `maxRows` images, concatenated. */
export async function forwardInChunks(model: DifferentiableClassifier, pixels: Float32Array, batch: number, maxRows: number): Promise<ForwardOutputs> {
  const rows = rowsPerCall(model, maxRows)
  if (batch <= rows) return model.forward(pixels, batch)
  const per = pixels.length / batch
  const parts: ForwardOutputs[] = []
  for (let start = 0; start < batch; start += rows) {
    const count = Math.min(rows, batch - start)
    parts.push(await model.forward(pixels.subarray(start * per, (start + count) * per), count))
  }
  return concatRows(parts, ['logits', 'features'])
}

/** Row-wise softmax of [n, classes] logits (in double precision, stored as float32). */
export function softmaxRows(logits: Float32Array, classes: number): Float32Array {
  const out = new Float32Array(logits.length)
  for (let base = 0; base < logits.length; base += classes) {
    let max = -Infinity
    for (let c = 0; c < classes; c++) max = Math.max(max, logits[base + c])
    let sum = 0
    for (let c = 0; c < classes; c++) sum += Math.exp(logits[base + c] - max)
    for (let c = 0; c < classes; c++) out[base + c] = Math.exp(logits[base + c] - max) / sum
  }
  return out
}
