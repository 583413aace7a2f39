/**
 * The ONNX graph of a model folder's network (docs/model-format.md), generated from its layout and weights: the
 * forward (clamp, normalize, convs with folded BN, ReLU, max-pool, residual adds, global average pool, dense) and,
 * for the gradient graph, an explicit backward pass to the input (engine-notes.md §9; ONNX Runtime has no autograd):
 *
 * | forward          | backward                                                                                |
 * |------------------|-----------------------------------------------------------------------------------------|
 * | Conv (PyTorch padding) | ConvTranspose with the same OIHW weights, same pads, output_padding for stride 2  |
 * | Relu             | Mul by Sign(y) (y = relu output ≥ 0, so Sign is the 0/1 mask)                           |
 * | MaxPool 3×3/2    | ScatterElements(add) of the gradient at MaxPool's argmax indices                        |
 * | GlobalAvgPool    | broadcast ÷ (H·W)                                                                       |
 * | Gemm             | MatMul with the transposed weights                                                      |
 * | Clip to [0, 1]   | mask x ∈ [0, 1] (inclusive, as tf.clipByValue's gradient)                               |
 *
 * The objective enters as data, so ONE graph per model serves every method (classifier.ts semantics):
 *   value_b = ce_b · logsumexp(logits_b) + Σ_j logit_weight_bj · logits_bj + Σ_k feature_weight_bk · features_bk
 * crossEntropy: ce = 1, logit_weight = −onehot(label); logit: logit_weight = onehot; feature: feature_weight = onehot.
 * Its gradient starts from ∂value/∂logits = ce · softmax + logit_weight, ∂value/∂features = that · fcᵀ + feature_weight.
 * fake_relu (a [1] float, 0 or 1) makes the last block's ReLU mask all ones in the backward pass.
 *
 * The batch dimension is symbolic ("n"), so one session serves every batch size.
 */
import type { NetworkLayout, ConvLayout } from '../../models/layout'
import { GraphBuilder } from './graph'

export interface ResNetGraphSpec {
  layout: NetworkLayout
  weights: ReadonlyMap<string, Float32Array>
  mean: readonly number[]
  std: readonly number[]
  height: number
  width: number
}

/** Graph input and output names (the classifier feeds and fetches these). */
export const GRAPH_NAMES = {
  pixels: 'pixels',
  ceWeight: 'ce_weight',
  logitWeight: 'logit_weight',
  featureWeight: 'feature_weight',
  fakeRelu: 'fake_relu',
  logits: 'logits',
  features: 'features',
  values: 'values',
  grad: 'grad'
} as const

const BATCH = 'n'

/** Output size of a k/s/p window along one axis (PyTorch floor mode). */
export const windowOut = (size: number, k: number, s: number, p: number): number => Math.floor((size + 2 * p - k) / s) + 1

/** HWIO [k, k, cin, cout] → OIHW [cout, cin, k, k]. */
export function hwioToOihw(w: Float32Array, k: number, cin: number, cout: number): Float32Array {
  const out = new Float32Array(w.length)
  for (let kh = 0; kh < k; kh++) {
    for (let kw = 0; kw < k; kw++) {
      for (let ci = 0; ci < cin; ci++) {
        const src = ((kh * k + kw) * cin + ci) * cout
        for (let co = 0; co < cout; co++) out[((co * cin + ci) * k + kh) * k + kw] = w[src + co]
      }
    }
  }
  return out
}

/** [rows, cols] → [cols, rows]. */
function transpose2d(w: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(w.length)
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = w[r * cols + c]
  return out
}

interface ConvRecord {
  layout: ConvLayout
  weight: string
  /** OIHW weights (for the backward filter). */
  oihw: Float32Array
  /** Input spatial size (for the transposed conv's output_padding). */
  inH: number
  inW: number
  outH: number
  outW: number
  /** The conv's output (after its ReLU when it has one). */
  output: string
}

/** OIHW [cout, cin, k, k] → [cin, cout, k, k] rotated by 180°: the filter of a stride-1 conv's input gradient. */
export function backwardFilter(w: Float32Array, k: number, cin: number, cout: number): Float32Array {
  const out = new Float32Array(w.length)
  for (let co = 0; co < cout; co++) {
    for (let ci = 0; ci < cin; ci++) {
      for (let u = 0; u < k; u++) {
        for (let v = 0; v < k; v++) out[((ci * cout + co) * k + (k - 1 - u)) * k + (k - 1 - v)] = w[((co * cin + ci) * k + u) * k + v]
      }
    }
  }
  return out
}

export interface ResNetGraphOptions {
  gradient: boolean
  /** Input gradient of stride-1 convs as a forward Conv with the rotated filter (default) or as ConvTranspose. */
  stride1Backward?: 'conv' | 'convTranspose'
}

export function buildResNetGraph(spec: ResNetGraphSpec, options: ResNetGraphOptions): Uint8Array {
  const { layout, weights } = spec
  const g = new GraphBuilder()
  const get = (name: string): Float32Array => {
    const w = weights.get(name)
    if (!w) throw new Error(`weight "${name}" is missing`)
    return w
  }
  const N = GRAPH_NAMES
  const pixels = g.input(N.pixels, [BATCH, spec.height, spec.width, 3])

  // ---- forward ----
  const x = g.node('Transpose', [pixels], { perm: [0, 3, 1, 2] })
  const clamped = g.node('Clip', [x, g.scalar(0), g.scalar(1)])
  const mean = g.floats('mean', Float32Array.from(spec.mean), [1, 3, 1, 1])
  const std = g.floats('std', Float32Array.from(spec.std), [1, 3, 1, 1])
  const normalized = g.node('Div', [g.node('Sub', [clamped, mean]), std])

  let h = spec.height
  let w = spec.width
  const conv = (c: ConvLayout, input: string, inH: number, inW: number): ConvRecord => {
    const oihw = hwioToOihw(get(`${c.name}.weight`), c.kernel, c.cin, c.cout)
    const weight = g.floats(`${c.name}.weight`, oihw, [c.cout, c.cin, c.kernel, c.kernel])
    const bias = g.floats(`${c.name}.bias`, get(`${c.name}.bias`), [c.cout])
    let output = g.node('Conv', [input, weight, bias], {
      kernel_shape: [c.kernel, c.kernel],
      strides: [c.stride, c.stride],
      pads: [c.pad, c.pad, c.pad, c.pad]
    })
    if (c.relu) output = g.node('Relu', [output])
    return { layout: c, weight, oihw, inH, inW, outH: windowOut(inH, c.kernel, c.stride, c.pad), outW: windowOut(inW, c.kernel, c.stride, c.pad), output }
  }

  const stem = conv(layout.stem, normalized, h, w)
  h = stem.outH
  w = stem.outW
  let current = stem.output
  let maxPool: { indices: string; input: string } | null = null
  if (layout.maxPool) {
    const [pooled, indices] = g.nodeOutputs('MaxPool', [current], 2, { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] })
    maxPool = { indices, input: current }
    current = pooled
    h = windowOut(h, 3, 2, 1)
    w = windowOut(w, 3, 2, 1)
  }

  interface BlockRecord {
    convs: ConvRecord[]
    shortcut: ConvRecord | null
    output: string
  }
  const blocks: BlockRecord[] = []
  for (const block of layout.blocks) {
    const input = current
    const convs: ConvRecord[] = []
    let branch = input
    let bh = h
    let bw = w
    for (const c of block.convs) {
      const rec = conv(c, branch, bh, bw)
      convs.push(rec)
      branch = rec.output
      bh = rec.outH
      bw = rec.outW
    }
    const shortcut = block.shortcut ? conv(block.shortcut, input, h, w) : null
    current = g.node('Relu', [g.node('Add', [branch, shortcut ? shortcut.output : input])])
    blocks.push({ convs, shortcut, output: current })
    h = bh
    w = bw
  }

  const features = g.node('ReduceMean', [current], { axes: [2, 3], keepdims: 0 })
  const R = layout.representationSize
  const C = layout.classes
  const fcWeight = get('fc.weight')
  const logits = g.node('Gemm', [features, g.floats('fc.weight', fcWeight, [R, C]), g.floats('fc.bias', get('fc.bias'), [C])])
  g.output(N.logits, logits, [BATCH, C])
  g.output(N.features, features, [BATCH, R])
  if (!options.gradient) return g.serialize('resnet-forward')

  // ---- objective ----
  const ce = g.input(N.ceWeight, [BATCH, 1])
  const logitWeight = g.input(N.logitWeight, [BATCH, C])
  const featureWeight = g.input(N.featureWeight, [BATCH, R])
  const fakeRelu = g.input(N.fakeRelu, [1])
  const axis1 = g.int64s([1])
  const lse = g.node('ReduceLogSumExp', [logits], { axes: [1], keepdims: 1 })
  const logitTerm = g.node('ReduceSum', [g.node('Mul', [logits, logitWeight]), axis1], { keepdims: 1 })
  const featureTerm = g.node('ReduceSum', [g.node('Mul', [features, featureWeight]), axis1], { keepdims: 1 })
  const value = g.node('Add', [g.node('Mul', [lse, ce]), g.node('Add', [logitTerm, featureTerm])])
  g.output(N.values, g.node('Reshape', [value, g.int64s([-1])]), [BATCH])

  // ---- backward ----
  const dLogits = g.node('Add', [g.node('Mul', [g.node('Softmax', [logits], { axis: 1 }), ce]), logitWeight])
  const dFeatures = g.node('Add', [g.node('MatMul', [dLogits, g.floats('fc.weight.T', transpose2d(fcWeight, R, C), [C, R])]), featureWeight])
  // global average pool: every position gets dFeatures / (h·w)
  let grad = g.node('Mul', [g.node('Unsqueeze', [dFeatures, g.int64s([2, 3])]), g.scalar(1 / (h * w), [1, 1, h, w])])

  const convBackward = (rec: ConvRecord, dy: string): string => {
    const c = rec.layout
    const dPre = c.relu ? g.node('Mul', [dy, g.node('Sign', [rec.output])]) : dy
    if (c.stride === 1 && (options.stride1Backward ?? 'conv') === 'conv') {
      // dx = dy ⋆ rot180(W)ᵀ with pad k − 1 − p: a forward conv, which ORT runs faster than ConvTranspose (width-64 CIFAR batch 16, 2 threads: 867 vs 1116 ms, loaded machine)
      const filter = g.floats(`${c.name}.backward`, backwardFilter(rec.oihw, c.kernel, c.cin, c.cout), [c.cin, c.cout, c.kernel, c.kernel])
      const pad = c.kernel - 1 - c.pad
      return g.node('Conv', [dPre, filter], { kernel_shape: [c.kernel, c.kernel], strides: [1, 1], pads: [pad, pad, pad, pad] })
    }
    // ConvTranspose's output is (out − 1)·s − 2p + k (+ output_padding): pad back to the conv's input size
    const padH = rec.inH - ((rec.outH - 1) * c.stride - 2 * c.pad + c.kernel)
    const padW = rec.inW - ((rec.outW - 1) * c.stride - 2 * c.pad + c.kernel)
    return g.node('ConvTranspose', [dPre, rec.weight], {
      kernel_shape: [c.kernel, c.kernel],
      strides: [c.stride, c.stride],
      pads: [c.pad, c.pad, c.pad, c.pad],
      ...(padH || padW ? { output_padding: [padH, padW] } : {})
    })
  }

  for (let i = blocks.length - 1; i >= 0; i--) {
    const block = blocks[i]
    let mask = g.node('Sign', [block.output])
    if (i === blocks.length - 1) mask = g.node('Max', [mask, fakeRelu]) // fake ReLU: identity backward
    const dSum = g.node('Mul', [grad, mask])
    let dBranch = dSum
    for (let j = block.convs.length - 1; j >= 0; j--) {
      const rec = block.convs[j]
      // the last conv of the branch has no ReLU of its own (the block's ReLU is after the add)
      dBranch = convBackward(rec, dBranch)
    }
    const dSkip = block.shortcut ? convBackward(block.shortcut, dSum) : dSum
    grad = g.node('Add', [dBranch, dSkip])
  }

  if (maxPool) {
    const flatShape = g.int64s([-1])
    const zeros = g.node('ConstantOfShape', [g.node('Shape', [g.node('Reshape', [maxPool.input, flatShape])])])
    const scattered = g.node('ScatterElements', [zeros, g.node('Reshape', [maxPool.indices, flatShape]), g.node('Reshape', [grad, flatShape])], {
      axis: 0,
      reduction: 'add'
    })
    grad = g.node('Reshape', [scattered, g.node('Shape', [maxPool.input])])
  }
  grad = convBackward(stem, grad)
  // normalization and clamp: ÷ std, zero outside [0, 1]
  grad = g.node('Div', [grad, std])
  const inRange = g.node('And', [g.node('GreaterOrEqual', [x, g.scalar(0)]), g.node('LessOrEqual', [x, g.scalar(1)])])
  grad = g.node('Where', [inRange, grad, g.scalar(0)])
  g.output(N.grad, g.node('Transpose', [grad], { perm: [0, 2, 3, 1] }), [BATCH, spec.height, spec.width, 3])
  return g.serialize('resnet-input-gradient')
}
