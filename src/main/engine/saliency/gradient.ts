/**
 * Gradient saliency (science.md §0): the loss gradient ∇ₓ CE(f(x), y) (the lab, PGD) or the class-score gradient
 * ∇ₓ f_y(x) (Simonyan, SmoothGrad, Captum Saliency), per example, for any class y.
 */
import { gradientBatchFor } from '../batching'
import type { BatchObjective, DifferentiableClassifier } from '../classifier'
import { objectiveGradient } from '../gradient'

export type GradientKind = 'loss' | 'score'

export function gradientObjective(kind: GradientKind, classes: number[]): BatchObjective {
  return { kind: kind === 'loss' ? 'crossEntropy' : 'logit', indices: classes }
}

/** A gradient function: `count` NHWC inputs that all belong to image `image` → their gradients (same layout). */
export type GradientFn = (x: Float32Array, count: number, image: number) => Promise<Float32Array>

/** The saliency gradient for image `image`'s class (rows of x are copies/noisy versions of that image). */
export function saliencyGradientFn(model: DifferentiableClassifier, kind: GradientKind, classes: number[]): GradientFn {
  const { height, width } = model.shape
  const rows = gradientBatchFor(height, width)
  return async (x, count, image) => (await objectiveGradient(model, x, count, gradientObjective(kind, new Array<number>(count).fill(classes[image])), rows)).grad
}

/** Raw gradient maps for a batch (one class per image). Returns NHWC values. */
export async function saliencyMaps(model: DifferentiableClassifier, images: Float32Array, batch: number, kind: GradientKind, classes: number[]): Promise<Float32Array> {
  const { height, width } = model.shape
  return (await objectiveGradient(model, images, batch, gradientObjective(kind, classes), gradientBatchFor(height, width))).grad
}
