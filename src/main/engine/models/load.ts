/**
 * A loaded model: spec + network + weight hash. Loading builds every layer's long-lived tensors; the warm-up
 * gradient prepares every conv's backward filters (and XNNPACK's packed weights) for the model's input size, so
 * the first user-visible gradient is not slower.
 */
import * as tf from '@tensorflow/tfjs'
import type { ModelSpec } from '../../../shared/model-format'
import { gradientBatchFor } from '../batching'
import { objectiveGradient, type Differentiable } from '../objectives'
import { readModelFiles } from './format'
import { networkLayout } from './layout'
import { ResNet, type ForwardOptions, type ForwardOutput } from './resnet'

export class LoadedModel implements Differentiable {
  private constructor(
    readonly spec: ModelSpec,
    readonly net: ResNet,
    readonly weightsSha256: string,
    readonly sizeBytes: number
  ) {}

  static async load(dir: string, options: { warmUp?: boolean } = {}): Promise<LoadedModel> {
    const files = await readModelFiles(dir)
    const { spec } = files
    const layout = networkLayout(spec.architecture.name, spec.architecture.width, spec.classes.length)
    const net = new ResNet(layout, files.weights, { mean: spec.input.mean, std: spec.input.std })
    const model = new LoadedModel(spec, net, files.weightsSha256, files.sizeBytes)
    if (options.warmUp !== false) model.warmUp()
    return model
  }

  get id(): string {
    return this.spec.id
  }

  get classCount(): number {
    return this.spec.classes.length
  }

  get representationSize(): number {
    return this.net.layout.representationSize
  }

  forward(x: tf.Tensor4D, options?: ForwardOptions): ForwardOutput {
    return this.net.forward(x, options)
  }

  /**
   * One gradient at the model's input size and the largest batch the methods send through it (gradientBatchFor).
   * The full batch matters as much as the filters: its tape grows the wasm heap, which never shrinks, and growing it
   * inside a user's first SmoothGrad made that job's first batch-16 pass 2.6 s instead of 1.1 s (width-64 CIFAR
   * ResNet-18, one thread). Paying it here, at load, keeps every job at its steady speed.
   */
  warmUp(): void {
    tf.tidy(() => {
      const { height, width } = this.spec.input
      const batch = gradientBatchFor(height, width)
      const x = tf.fill([batch, height, width, 3], 0.5) as tf.Tensor4D
      const g = objectiveGradient(this, x, { kind: 'logit', indices: new Array<number>(batch).fill(0) })
      g.grad.dataSync()
    })
  }

  /** Throws unless the batch has the model's input size. */
  checkInputShape(shape: readonly number[]): void {
    const { height, width } = this.spec.input
    if (shape.length !== 4 || shape[1] !== height || shape[2] !== width || shape[3] !== 3) {
      throw new Error(`model ${this.id} takes ${height}×${width}×3 images; got a batch of shape [${shape.join(', ')}] (resize first)`)
    }
  }

  dispose(): void {
    this.net.dispose()
  }
}
