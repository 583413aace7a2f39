/**
 * The TF.js side of DifferentiableClassifier.gradient: objectives as data (classifier.ts BatchObjective) turned into
 * per-example tensors, and the per-example values, logits, features and ∇ₓ Σ_b value_b in one forward + backward pass.
 * Class and unit selection use one-hot masks, never gather (its gradient needs a kernel wasm lacks).
 */
import * as tf from '@tensorflow/tfjs'
import type { BatchObjective } from '../../classifier'
import type { ForwardOptions, ForwardOutput } from './resnet'

export type { BatchObjective }

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
