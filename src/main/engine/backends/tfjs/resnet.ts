/**
 * ResNets from a layout + weights (docs/model-format.md): CIFAR ResNet-18 (any width) and the ImageNet ResNet-18 /
 * ResNet-50 layouts. Normalization (clamp to [0,1], then (x − μ)/σ) is part of the forward pass. The forward
 * returns the logits and the representation (global average pool after the last block's ReLU).
 *
 * Two forwards share the weights: the fast one (fused convs with the polyphase input gradient, ops/conv.ts) and a
 * reference one of plain unfused tf ops that tf.grad can differentiate, used to verify the fast one.
 */
import * as tf from '@tensorflow/tfjs'
import { allConvs, type NetworkLayout } from '../../models/layout'
import { createConv, type Conv } from './ops/conv'

export interface ForwardOptions {
  /** The last block's ReLU is the identity in the backward pass (MadryLab fake_relu). */
  fakeRelu?: boolean
  /** Plain tf ops instead of the fast convs (for verification). */
  reference?: boolean
}

export interface ForwardOutput {
  logits: tf.Tensor2D
  /** The penultimate representation [batch, representationSize]. */
  features: tf.Tensor2D
}

export interface Normalization {
  mean: readonly [number, number, number]
  std: readonly [number, number, number]
}

/** ReLU forward, identity backward. */
const fakeRelu = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const x = args[0] as tf.Tensor
  return { value: tf.relu(x), gradFunc: (dy: tf.Tensor) => dy }
})

export class ResNet {
  private readonly convs = new Map<string, Conv>()
  private readonly fcWeight: tf.Tensor2D
  private readonly fcBias: tf.Tensor1D
  private readonly mean: tf.Tensor1D
  private readonly std: tf.Tensor1D

  constructor(
    readonly layout: NetworkLayout,
    weights: ReadonlyMap<string, Float32Array>,
    normalization: Normalization
  ) {
    const get = (name: string): Float32Array => {
      const w = weights.get(name)
      if (!w) throw new Error(`weight "${name}" is missing`)
      return w
    }
    try {
      for (const c of allConvs(layout)) {
        this.convs.set(
          c.name,
          createConv({ kernel: c.kernel, stride: c.stride, pad: c.pad, cin: c.cin, cout: c.cout, relu: c.relu }, get(`${c.name}.weight`), get(`${c.name}.bias`))
        )
      }
    } catch (e) {
      for (const c of this.convs.values()) c.dispose()
      throw e
    }
    this.fcWeight = tf.keep(tf.tensor2d(get('fc.weight'), [layout.representationSize, layout.classes]))
    this.fcBias = tf.keep(tf.tensor1d(get('fc.bias')))
    this.mean = tf.keep(tf.tensor1d([...normalization.mean]))
    this.std = tf.keep(tf.tensor1d([...normalization.std]))
  }

  /** Prepared backward-filter plans over all convs (one per conv and input size). */
  get planCount(): number {
    let n = 0
    for (const c of this.convs.values()) n += c.planCount
    return n
  }

  forward(x: tf.Tensor4D, options: ForwardOptions = {}): ForwardOutput {
    const conv = (name: string, input: tf.Tensor4D): tf.Tensor4D => {
      const c = this.convs.get(name)!
      return options.reference ? c.applyReference(input) : c.apply(input)
    }
    const normalized = tf.div(tf.sub(tf.clipByValue(x, 0, 1), this.mean), this.std) as tf.Tensor4D
    let h = conv(this.layout.stem.name, normalized)
    if (this.layout.maxPool) h = tf.maxPool(h, 3, 2, 1) // PyTorch: 3×3/2, pad 1 with −∞ on every side
    const last = this.layout.blocks.length - 1
    this.layout.blocks.forEach((block, i) => {
      let branch = h
      for (const c of block.convs) branch = conv(c.name, branch)
      const skip = block.shortcut ? conv(block.shortcut.name, h) : h
      const sum = tf.add(branch, skip) as tf.Tensor4D
      h = i === last && options.fakeRelu ? (fakeRelu(sum) as tf.Tensor4D) : tf.relu(sum)
    })
    const features = tf.mean(h, [1, 2]) as tf.Tensor2D
    const logits = tf.add(tf.matMul(features, this.fcWeight), this.fcBias) as tf.Tensor2D
    return { logits, features }
  }

  dispose(): void {
    for (const c of this.convs.values()) c.dispose()
    this.convs.clear()
    this.fcWeight.dispose()
    this.fcBias.dispose()
    this.mean.dispose()
    this.std.dispose()
  }
}
