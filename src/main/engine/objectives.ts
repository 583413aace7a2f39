/**
 * Objectives as data (src/shared/objectives.ts) turned into per-example tensors, and THE gradient primitive every
 * method uses: the per-example objective values, the logits and ∇ₓ Σ_b value_b in one forward + backward pass.
 * Class and unit selection use one-hot masks, never gather (its gradient needs a kernel wasm lacks).
 */
import * as tf from '@tensorflow/tfjs'
import type { Objective } from '../../shared/objectives'
import type { ForwardOptions, ForwardOutput } from './models/resnet'

/** An objective with one class / unit index per example of the batch. */
export interface BatchObjective {
  kind: Objective['kind']
  indices: number[]
  fakeRelu?: boolean
}

export function toBatchObjective(objective: Objective, batch: number): BatchObjective {
  const index = objective.kind === 'crossEntropy' ? objective.label : objective.index
  return {
    kind: objective.kind,
    indices: new Array<number>(batch).fill(index),
    ...(objective.kind === 'feature' && objective.fakeRelu ? { fakeRelu: true } : {})
  }
}

/** The objective per example, shape [batch]. */
export function objectiveValues(out: ForwardOutput, objective: BatchObjective): tf.Tensor1D {
  const source = objective.kind === 'feature' ? out.features : out.logits
  const [batch, size] = source.shape
  if (objective.indices.length !== batch) throw new Error(`objective has ${objective.indices.length} indices for a batch of ${batch}`)
  for (const i of objective.indices) {
    if (!(Number.isInteger(i) && i >= 0 && i < size)) {
      throw new Error(`${objective.kind === 'feature' ? 'representation coordinate' : 'class'} ${i} is out of range [0, ${size})`)
    }
  }
  const mask = tf.oneHot(tf.tensor1d(objective.indices, 'int32'), size)
  switch (objective.kind) {
    case 'crossEntropy': // CE = −log p_label
      return tf.neg(tf.sum(tf.mul(tf.logSoftmax(out.logits), mask), 1))
    case 'logit':
    case 'feature':
      return tf.sum(tf.mul(source, mask), 1)
  }
}

export interface Differentiable {
  forward(x: tf.Tensor4D, options?: ForwardOptions): ForwardOutput
}

export interface ObjectiveGradient {
  /** Per-example objective values [batch]. */
  values: tf.Tensor1D
  /** ∇ₓ Σ_b value_b, same shape as x. */
  grad: tf.Tensor4D
  /** The logits at x (from the same forward pass). */
  logits: tf.Tensor2D
  /** The representation at x. */
  features: tf.Tensor2D
}

/**
 * One forward + backward pass. The returned tensors belong to the caller's tidy scope (call it inside tf.tidy).
 * `reference` uses the plain-op forward (verification only).
 */
export function objectiveGradient(net: Differentiable, x: tf.Tensor4D, objective: BatchObjective, reference = false): ObjectiveGradient {
  let kept: { values: tf.Tensor1D; logits: tf.Tensor2D; features: tf.Tensor2D } | null = null
  const { value, grads } = tf.valueAndGrads((input: tf.Tensor) => {
    const out = net.forward(input as tf.Tensor4D, { fakeRelu: objective.fakeRelu, reference })
    const values = objectiveValues(out, objective)
    // kept past the gradient's own tidy scope; handed back as ordinary (clone) tensors below
    kept = { values: tf.keep(values), logits: tf.keep(out.logits), features: tf.keep(out.features) }
    return tf.sum(values) as tf.Scalar
  })([x])
  value.dispose()
  const k = kept as unknown as { values: tf.Tensor1D; logits: tf.Tensor2D; features: tf.Tensor2D }
  const result: ObjectiveGradient = { values: tf.clone(k.values), grad: grads[0] as tf.Tensor4D, logits: tf.clone(k.logits), features: tf.clone(k.features) }
  k.values.dispose()
  k.logits.dispose()
  k.features.dispose()
  return result
}

/**
 * objectiveGradient over row chunks of at most `maxRows` images, concatenated: the same numbers, but the gradient
 * tape (the memory-hungry part) only ever holds one chunk. Call inside tf.tidy.
 */
export function batchedObjectiveGradient(net: Differentiable, x: tf.Tensor4D, objective: BatchObjective, maxRows: number): ObjectiveGradient {
  const n = x.shape[0]
  if (n <= maxRows) return objectiveGradient(net, x, objective)
  const parts: ObjectiveGradient[] = []
  for (let start = 0; start < n; start += maxRows) {
    const rows = Math.min(maxRows, n - start)
    const part = tf.slice(x, [start, 0, 0, 0], [rows, -1, -1, -1])
    parts.push(objectiveGradient(net, part, { ...objective, indices: objective.indices.slice(start, start + rows) }))
  }
  return {
    values: tf.concat(parts.map((p) => p.values)),
    grad: tf.concat(parts.map((p) => p.grad)),
    logits: tf.concat(parts.map((p) => p.logits)),
    features: tf.concat(parts.map((p) => p.features))
  }
}
