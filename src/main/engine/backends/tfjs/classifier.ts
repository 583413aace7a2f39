/**
 * DifferentiableClassifier on TF.js: the ResNet (resnet.ts, fast convs of ops/conv.ts) over typed arrays. Each call
 * makes one input tensor from the pixels and reads values, logits, features and the gradient back (dataSync) inside
 * one tf.tidy, so no tensor outlives a call; the weights and the convs' backward-filter plans live as long as the
 * classifier.
 */
import * as tf from '@tensorflow/tfjs'
import type { BatchObjective, ClassifierOptions, ClassifierShape, DifferentiableClassifier, ForwardOutputs, GradientOutputs, ModelWeights } from '../../classifier'
import { networkLayout } from '../../models/layout'
import { objectiveGradient } from './objective'
import { ResNet, type ForwardOptions, type ForwardOutput } from './resnet'

export class TfjsClassifier implements DifferentiableClassifier {
  readonly shape: ClassifierShape

  private constructor(
    readonly backend: string,
    readonly net: ResNet,
    spec: ModelWeights['spec']
  ) {
    this.shape = { height: spec.input.height, width: spec.input.width, channels: 3, numClasses: spec.classes.length, representationSize: net.layout.representationSize }
  }

  static create(backend: string, model: ModelWeights, options: ClassifierOptions): TfjsClassifier {
    const { spec } = model
    const layout = networkLayout(spec.architecture.name, spec.architecture.width, spec.classes.length)
    const classifier = new TfjsClassifier(backend, new ResNet(layout, model.weights, { mean: spec.input.mean, std: spec.input.std }), spec)
    if (options.warmUp) classifier.warmUp(options.maxBatch)
    return classifier
  }

  /** The tensor-level forward (fast, or the unfused reference for verification); call inside tf.tidy. */
  forwardTensors(x: tf.Tensor4D, options?: ForwardOptions): ForwardOutput {
    return this.net.forward(x, options)
  }

  private input(pixels: Float32Array, batch: number): tf.Tensor4D {
    const { height, width } = this.shape
    return tf.tensor4d(pixels, [batch, height, width, 3])
  }

  async forward(pixels: Float32Array, batch: number): Promise<ForwardOutputs> {
    return tf.tidy(() => {
      const out = this.net.forward(this.input(pixels, batch))
      return { logits: out.logits.dataSync() as Float32Array, features: out.features.dataSync() as Float32Array }
    })
  }

  async gradient(pixels: Float32Array, batch: number, objective: BatchObjective): Promise<GradientOutputs> {
    return tf.tidy(() => {
      const r = objectiveGradient(this.net, this.input(pixels, batch), objective)
      return {
        values: r.values.dataSync() as Float32Array,
        grad: r.grad.dataSync() as Float32Array,
        logits: r.logits.dataSync() as Float32Array,
        features: r.features.dataSync() as Float32Array
      }
    })
  }

  /**
   * One gradient at the model's input size and the largest batch the methods send through it. The full batch matters
   * as much as the filters: its tape grows the wasm heap, which never shrinks, and growing it inside a user's first
   * SmoothGrad made that job's first batch-16 pass 2.6 s instead of 1.1 s (width-64 CIFAR ResNet-18, one thread).
   * Paying it here, at load, keeps every job at its steady speed.
   */
  warmUp(batch: number): void {
    tf.tidy(() => {
      const { height, width } = this.shape
      const x = tf.fill([batch, height, width, 3], 0.5) as tf.Tensor4D
      objectiveGradient(this.net, x, { kind: 'logit', indices: new Array<number>(batch).fill(0) }).grad.dataSync()
    })
  }

  dispose(): void {
    this.net.dispose()
  }
}
