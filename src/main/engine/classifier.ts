/**
 * The model seam (architecture.md, seam 6): a differentiable image classifier over plain typed arrays.
 *
 * Every method (saliency, the SmoothGrad family, the projected-gradient loop, evaluation, activations, prediction)
 * is written against this interface; a backend (TF.js in backends/tfjs/, ONNX Runtime, …) implements it.
 * Nothing here imports a backend, so a method module never sees TF.js tensors.
 *
 * Objectives are data (architecture.md, seam 5), so they cross the worker boundary and a native backend unchanged:
 * per example b, value_b is
 *   crossEntropy: −log softmax(logits_b)[indices[b]]
 *   logit:        logits_b[indices[b]]
 *   feature:      features_b[indices[b]]   (fakeRelu: the last ReLU before the representation is the identity in
 *                                            the backward pass — Engstrom et al.'s feature-visualization trick)
 * and the gradient is ∇ₓ Σ_b value_b (examples are independent, so row b of the gradient is ∇ value_b).
 *
 * Additions to the agreed interface (issue 12): `maxBatch` (optional hint) on the classifier, and the factory a backend
 * registers (`ClassifierFactory`, see backends/registry.ts) with the model data it builds from (`ModelWeights`).
 * Callers validate objective indices and input shapes before calling a backend (engine/gradient.ts), and split
 * batches larger than the methods' gradient batch themselves, so a backend may assume valid input.
 */
import type { ModelSpec } from '../../shared/model-format'

export type ObjectiveKind = 'crossEntropy' | 'logit' | 'feature'

/** One class / representation index per example; values are per example and the gradient is of their sum. */
export interface BatchObjective {
  kind: ObjectiveKind
  indices: number[]
  fakeRelu?: boolean
}

export interface ClassifierShape {
  height: number
  width: number
  channels: 3
  numClasses: number
  representationSize: number
}

export interface ForwardOutputs {
  /** [n, classes] row-major */
  logits: Float32Array
  /** [n, representationSize] row-major */
  features: Float32Array
}

export interface GradientOutputs extends ForwardOutputs {
  /** [n] per-example objective values */
  values: Float32Array
  /** NHWC like the input */
  grad: Float32Array
}

export interface DifferentiableClassifier {
  /** e.g. 'wasm', 'cpu', 'tensorflow', 'onnxruntime' */
  readonly backend: string
  readonly shape: ClassifierShape
  /** Optional: the most rows this backend wants per call (e.g. a fixed-batch graph); callers chunk to it. */
  readonly maxBatch?: number
  /** pixels: NHWC float32 in [0,1] (the model clamps + normalizes inside), batch = n. */
  forward(pixels: Float32Array, batch: number): Promise<ForwardOutputs>
  /**
   * One forward + backward pass: ∇ₓ Σ_b value_b, with the logits/features of the same pass.
   * fakeRelu: the last ReLU is identity in the backward pass.
   */
  gradient(pixels: Float32Array, batch: number, objective: BatchObjective): Promise<GradientOutputs>
  dispose(): void
}

/** What a backend builds a classifier from: the validated model.json and its weights by name (docs/model-format.md). */
export interface ModelWeights {
  spec: ModelSpec
  weights: ReadonlyMap<string, Float32Array>
  /** The folder it was read from, and the weights' sha256 (e.g. to cache generated graphs); absent for in-memory models such as the self-check's. */
  dir?: string
  weightsSha256?: string
}

export interface ClassifierOptions {
  /** The largest batch the methods will send (engine/batching.ts gradientBatchFor at the model's input size). */
  maxBatch: number
  /** Run one gradient at maxBatch while loading (prepares plans, grows heaps at load instead of in the first job). */
  warmUp: boolean
}

/**
 * One backend, registered by name (backends/registry.ts). Selection calls `start` once per thread, then runs the
 * self-check (backends/self-check.ts: a tiny model's forward + gradient against known values) through `create`;
 * a backend that throws in either falls back to the next one with a notice.
 */
export interface ClassifierFactory {
  readonly name: string
  /** Makes the runtime usable in this thread (binaries, thread count). Throws (with the reason) when it cannot. */
  start(options: { threads: number }): Promise<void>
  /** The classifier of one model. */
  create(model: ModelWeights, options: ClassifierOptions): Promise<DifferentiableClassifier>
  /** Threads the started runtime actually uses (after its own fallbacks). */
  threads?(): number
}
