/**
 * Convolution with a fast input gradient (engine-notes.md §3).
 *
 * Forward: FusedConv2D (conv + folded-BN bias [+ ReLU]) through `runKernel`, which is not taped, so no filter
 * gradient is ever attempted (wasm has no Conv2DBackpropFilter). Backward (input gradient only): one stride-1
 * forward conv2d of dy with a precomputed "polyphase" filter, then an interleave of the s² phases
 * (reshape/transpose/reshape, never depthToSpace) and a crop. wasm's Conv2DBackpropInput is a scalar loop ~10×
 * slower than this.
 *
 * Padding is PyTorch's: explicit and symmetric (`pad` on every side), never TF 'same'.
 */
import * as tf from '@tensorflow/tfjs'

export interface ConvSpec {
  kernel: number
  stride: number
  pad: number
  cin: number
  cout: number
  relu: boolean
}

interface Phases1d {
  /** Filter taps of the backward conv along this axis. */
  length: number
  /** Smallest dy offset d = a_r − j used by any phase (the backward conv reads dy[m + d]). */
  dMin: number
  dMax: number
  /** taps[r][t] = forward tap index used by phase r at backward tap t, or -1. */
  taps: Int32Array[]
}

/**
 * 1-D polyphase decomposition of a strided correlation y[o] = Σ_t x[o·s + t − p]·w[t]:
 * dx[s·m + r] = Σ_j dy[m + a_r − j]·w[s·j + b_r] with q = r + p, a_r = ⌊q/s⌋, b_r = q mod s, j < ⌈(k − b_r)/s⌉.
 */
export function phases1d(k: number, s: number, p: number): Phases1d {
  const phases: { a: number; b: number; taps: number }[] = []
  let dMin = Infinity
  let dMax = -Infinity
  for (let r = 0; r < s; r++) {
    const q = r + p
    const a = Math.floor(q / s)
    const b = q % s
    const taps = Math.max(0, Math.ceil((k - b) / s))
    phases.push({ a, b, taps })
    if (taps > 0) {
      dMin = Math.min(dMin, a - taps + 1)
      dMax = Math.max(dMax, a)
    }
  }
  const length = dMax - dMin + 1
  const taps = phases.map(({ a, b, taps: count }) => {
    const row = new Int32Array(length).fill(-1)
    for (let t = 0; t < length; t++) {
      const j = a - (t + dMin)
      if (j >= 0 && j < count) row[t] = s * j + b
    }
    return row
  })
  return { length, dMin, dMax, taps }
}

/** Backward filter [L, L, cout, s²·cin] (channel order (r_h, r_w, c)) from forward HWIO weights [k, k, cin, cout]. */
export function backwardFilter(w: Float32Array, spec: ConvSpec): { filter: Float32Array; axis: Phases1d } {
  const { kernel: k, stride: s, pad: p, cin, cout } = spec
  const axis = phases1d(k, s, p)
  const L = axis.length
  const outChannels = s * s * cin
  const filter = new Float32Array(L * L * cout * outChannels)
  for (let rh = 0; rh < s; rh++) {
    for (let rw = 0; rw < s; rw++) {
      for (let th = 0; th < L; th++) {
        for (let tw = 0; tw < L; tw++) {
          const kh = axis.taps[rh][th]
          const kw = axis.taps[rw][tw]
          if (kh < 0 || kw < 0) continue
          for (let co = 0; co < cout; co++) {
            const dst = ((th * L + tw) * cout + co) * outChannels + (rh * s + rw) * cin
            const src = (kh * k + kw) * cin * cout + co
            for (let ci = 0; ci < cin; ci++) filter[dst + ci] = w[src + ci * cout]
          }
        }
      }
    }
  }
  return { filter, axis }
}

/** One axis of the backward plan: how to pad or crop dy so the backward conv yields exactly ⌈n/s⌉ rows. */
interface AxisPlan {
  inSize: number
  outSize: number
  padBefore: number
  padAfter: number
  cropBefore: number
  cropAfter: number
}

function planAxis(inSize: number, k: number, s: number, p: number, axis: Phases1d): AxisPlan {
  const outSize = Math.floor((inSize + 2 * p - k) / s) + 1
  const phaseRows = Math.ceil(inSize / s)
  // the backward conv reads dy[lo .. hi) where lo = dMin and hi = phaseRows − 1 + dMax + 1
  const lo = axis.dMin
  const hi = phaseRows + axis.dMax
  return {
    inSize,
    outSize,
    padBefore: Math.max(0, -lo),
    cropBefore: Math.max(0, lo),
    padAfter: Math.max(0, hi - outSize),
    cropAfter: Math.max(0, outSize - hi)
  }
}

interface BackwardPlan {
  filter: tf.Tensor4D
  h: AxisPlan
  w: AxisPlan
}

/** Phases (r_h, r_w, c) in channels → space; assumes equal strides. */
function interleave(z: tf.Tensor4D, s: number): tf.Tensor4D {
  const [n, h, w, channels] = z.shape
  const c = channels / (s * s)
  return tf.reshape(tf.transpose(tf.reshape(z, [n * h, w, s, s * c]), [0, 2, 1, 3]), [n, h * s, w * s, c])
}

export interface Conv {
  readonly spec: ConvSpec
  /** Fast path: fused forward, custom input gradient. */
  apply(x: tf.Tensor4D): tf.Tensor4D
  /** Plain, unfused tf ops (conv2d + bias + relu): differentiable by tf.grad; the reference for tests. */
  applyReference(x: tf.Tensor4D): tf.Tensor4D
  /** Prepared backward filters, one per input size. */
  readonly planCount: number
  dispose(): void
}

/**
 * @param weights HWIO [k, k, cin, cout], BatchNorm folded in
 * @param bias [cout]
 */
export function createConv(spec: ConvSpec, weights: Float32Array, bias: Float32Array): Conv {
  const { kernel: k, stride: s, pad: p, cin, cout, relu } = spec
  if (weights.length !== k * k * cin * cout) throw new Error(`conv weights: expected ${k * k * cin * cout} values, got ${weights.length}`)
  if (bias.length !== cout) throw new Error(`conv bias: expected ${cout} values, got ${bias.length}`)
  // Long-lived tensors: XNNPACK caches packed weights by filter tensor id, so they must never be recreated.
  const W = tf.keep(tf.tensor4d(weights, [k, k, cin, cout]))
  const B = tf.keep(tf.tensor1d(bias))
  const plans = new Map<string, BackwardPlan>()
  const padding: [[number, number], [number, number], [number, number], [number, number]] = [[0, 0], [p, p], [p, p], [0, 0]]
  const attrs = {
    strides: [s, s],
    pad: padding,
    dataFormat: 'NHWC',
    dilations: [1, 1],
    dimRoundingMode: undefined,
    activation: relu ? 'relu' : 'linear',
    leakyreluAlpha: 0
  }

  const plan = (inH: number, inW: number): BackwardPlan => {
    const key = `${inH}x${inW}`
    const existing = plans.get(key)
    if (existing) return existing
    const { filter, axis } = backwardFilter(weights, spec)
    const created: BackwardPlan = {
      filter: tf.tidy(() => tf.keep(tf.tensor4d(filter, [axis.length, axis.length, cout, s * s * cin]))),
      h: planAxis(inH, k, s, p, axis),
      w: planAxis(inW, k, s, p, axis)
    }
    plans.set(key, created)
    return created
  }

  const inputGradient = (dy: tf.Tensor4D, inH: number, inW: number): tf.Tensor4D => {
    const { filter, h, w } = plan(inH, inW)
    let g = dy
    if (h.cropBefore || h.cropAfter || w.cropBefore || w.cropAfter) {
      g = tf.slice(g, [0, h.cropBefore, w.cropBefore, 0], [-1, h.outSize - h.cropBefore - h.cropAfter, w.outSize - w.cropBefore - w.cropAfter, -1])
    }
    let z = tf.conv2d(g, filter, 1, [[0, 0], [h.padBefore, h.padAfter], [w.padBefore, w.padAfter], [0, 0]])
    if (s > 1) z = interleave(z, s)
    if (z.shape[1] !== inH || z.shape[2] !== inW) z = tf.slice(z, [0, 0, 0, 0], [-1, inH, inW, -1])
    return z
  }

  const fast = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const input = args[0] as tf.Tensor4D
    const save = args[1] as tf.GradSaveFunc
    const y = tf.engine().runKernel('FusedConv2D', { x: input, filter: W, bias: B }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D
    save([y])
    return {
      value: y,
      gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) => {
        const masked: tf.Tensor4D = relu ? tf.mul(dy, tf.step(saved[0])) : dy // ReLU mask from the saved output
        return inputGradient(masked, input.shape[1], input.shape[2])
      }
    }
  })

  return {
    spec,
    apply: (x) => {
      if (x.shape[3] !== cin) throw new Error(`conv expects ${cin} input channels, got ${x.shape[3]}`)
      return fast(x) as tf.Tensor4D
    },
    applyReference: (x) => {
      const y = tf.add(tf.conv2d(x, W, s, padding), B) as tf.Tensor4D
      return relu ? tf.relu(y) : y
    },
    get planCount() {
      return plans.size
    },
    dispose: () => {
      W.dispose()
      B.dispose()
      for (const pl of plans.values()) pl.filter.dispose()
      plans.clear()
    }
  }
}
