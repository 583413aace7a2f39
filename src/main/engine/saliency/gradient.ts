/**
 * Gradient saliency (science.md §0): the loss gradient ∇ₓ CE(f(x), y) (the lab, PGD) or the class-score gradient
 * ∇ₓ f_y(x) (Simonyan, SmoothGrad, Captum Saliency), per example, for any class y.
 */
import * as tf from '@tensorflow/tfjs'
import { gradientBatchFor } from '../batching'
import { batchedObjectiveGradient, objectiveGradient, type BatchObjective, type Differentiable } from '../objectives'

export type GradientKind = 'loss' | 'score'

export function gradientObjective(kind: GradientKind, classes: number[]): BatchObjective {
  return { kind: kind === 'loss' ? 'crossEntropy' : 'logit', indices: classes }
}

/** A gradient function: a batch of inputs that all belong to image `image` → their gradients (same shape). */
export type GradientFn = (x: tf.Tensor4D, image: number) => tf.Tensor4D

/** The saliency gradient for image `image`'s class (rows of x are copies/noisy versions of that image). */
export function saliencyGradientFn(model: Differentiable, kind: GradientKind, classes: number[]): GradientFn {
  return (x, image) => objectiveGradient(model, x, gradientObjective(kind, new Array<number>(x.shape[0]).fill(classes[image]))).grad
}

/** Raw gradient maps for a batch (one class per image). Returns NHWC values. */
export function saliencyMaps(model: Differentiable, images: tf.Tensor4D, kind: GradientKind, classes: number[]): Float32Array {
  const rows = gradientBatchFor(images.shape[1], images.shape[2])
  return tf.tidy(() => batchedObjectiveGradient(model, images, gradientObjective(kind, classes), rows).grad.dataSync() as Float32Array)
}
