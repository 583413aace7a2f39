/**
 * Convolution with a fast input gradient (engine-notes.md §3).
 *
 * Forward: FusedConv2D (conv + folded-BN bias [+ ReLU]) through `runKernel`, which is not taped, so no filter
 * gradient is ever attempted (wasm has no Conv2DBackpropFilter). Backward (input gradient only): per polyphase
 * component (r_h, r_w) of the stride, one stride-1 forward conv2d of dy with that phase's precomputed taps, then an
 * interleave of the s² phases (concat, reshape/transpose/reshape, never depthToSpace) and a crop. wasm's
 * Conv2DBackpropInput is a scalar loop ~10× slower than this.
 *
 * Padding is PyTorch's: explicit and symmetric (`pad` on every side), never TF 'same'.
 */
import * as tf from '@tensorflow/tfjs'
import type { ConvSpec } from '../../../models/layout'

export type { ConvSpec }

/** One phase r of a strided correlation along one axis: dx[s·m + r] = Σ_{j < taps} dy[m + a − j]·w[s·j + b]. */
export interface Phase1d {
  a: number
  b: number
  /** Forward taps this phase uses (0 when s > k: such rows of dx get no gradient). */
  taps: number
}

/**
 * 1-D polyphase decomposition of y[o] = Σ_t x[o·s + t − p]·w[t]: q = r + p, a_r = ⌊q/s⌋, b_r = q mod s,
 * taps_r = ⌈(k − b_r)/s⌉. The phases together use each of the k taps exactly once.
 */
export function phases1d(k: number, s: number, p: number): Phase1d[] {
  return Array.from({ length: s }, (_, r) => {
    const q = r + p
    const b = q % s
    return { a: Math.floor(q / s), b, taps: Math.max(0, Math.ceil((k - b) / s)) }
  })
}

/**
 * The backward filter of phase (rh, rw): [taps_h, taps_w, cout, cin] from forward HWIO weights [k, k, cin, cout].
 * Backward tap t reads dy[m + a − taps + 1 + t], i.e. forward tap s·(taps − 1 − t) + b (a flip).
 */
export function phaseFilter(w: Float32Array, spec: ConvSpec, ph: Phase1d, pw: Phase1d): Float32Array {
  const { kernel: k, stride: s, cin, cout } = spec
  const filter = new Float32Array(ph.taps * pw.taps * cout * cin)
  for (let th = 0; th < ph.taps; th++) {
    for (let tw = 0; tw < pw.taps; tw++) {
      const kh = s * (ph.taps - 1 - th) + ph.b
      const kw = s * (pw.taps - 1 - tw) + pw.b
      for (let co = 0; co < cout; co++) {
        const dst = ((th * pw.taps + tw) * cout + co) * cin
        const src = (kh * k + kw) * cin * cout + co
        for (let ci = 0; ci < cin; ci++) filter[dst + ci] = w[src + ci * cout]
      }
    }
  }
  return filter
}

/** How to pad or crop dy along one axis so a phase's valid backward conv yields exactly ⌈n/s⌉ rows. */
interface AxisWindow {
  padBefore: number
  padAfter: number
  cropBefore: number
  cropAfter: number
}

function axisWindow(inSize: number, k: number, s: number, p: number, phase: Phase1d): AxisWindow {
  const outSize = Math.floor((inSize + 2 * p - k) / s) + 1
  const rows = Math.ceil(inSize / s)
  // the phase reads dy[lo .. hi) with lo = a − taps + 1 and hi = rows − 1 + a + 1
  const lo = phase.a - phase.taps + 1
  const hi = rows + phase.a
  return {
    padBefore: Math.max(0, -lo),
    cropBefore: Math.max(0, lo),
    padAfter: Math.max(0, hi - outSize),
    cropAfter: Math.max(0, outSize - hi)
  }
}

/** One phase's prepared backward conv; `filter` null when the phase has no taps (its dx rows are zero). */
interface PhasePlan {
  filter: tf.Tensor4D | null
  h: AxisWindow
  w: AxisWindow
}

/** Phases (r_h, r_w, c) in channels → space; assumes equal strides. */
function interleave(z: tf.Tensor4D, s: number): tf.Tensor4D {
  const [n, h, w, channels] = z.shape
  const c = channels / (s * s)
  return tf.reshape(tf.transpose(tf.reshape(z, [n * h, w, s, s * c]), [0, 2, 1, 3]), [n, h * s, w * s, c])
}

/** dy cropped and padded for one phase, convolved with its filter (stride 1, valid). */
function phaseConv(dy: tf.Tensor4D, phase: PhasePlan): tf.Tensor4D {
  const { h, w } = phase
  const outH = dy.shape[1]
  const outW = dy.shape[2]
  let g = dy
  if (h.cropBefore || h.cropAfter || w.cropBefore || w.cropAfter) {
    g = tf.slice(g, [0, h.cropBefore, w.cropBefore, 0], [-1, outH - h.cropBefore - h.cropAfter, outW - w.cropBefore - w.cropAfter, -1])
  }
  return tf.conv2d(g, phase.filter!, 1, [[0, 0], [h.padBefore, h.padAfter], [w.padBefore, w.padAfter], [0, 0]])
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
  const plans = new Map<string, PhasePlan[]>()
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

  // Backward filters depend only on the weights; the windows also on the input size.
  const axisPhases = phases1d(k, s, p)
  const phaseFilters = new Map<string, tf.Tensor4D>()
  const plan = (inH: number, inW: number): PhasePlan[] => {
    const key = `${inH}x${inW}`
    const existing = plans.get(key)
    if (existing) return existing
    const created: PhasePlan[] = []
    for (let rh = 0; rh < s; rh++) {
      for (let rw = 0; rw < s; rw++) {
        const ph = axisPhases[rh]
        const pw = axisPhases[rw]
        let filter: tf.Tensor4D | null = null
        if (ph.taps > 0 && pw.taps > 0) {
          const id = `${rh},${rw}`
          filter = phaseFilters.get(id) ?? null
          if (!filter) {
            filter = tf.keep(tf.tensor4d(phaseFilter(weights, spec, ph, pw), [ph.taps, pw.taps, cout, cin]))
            phaseFilters.set(id, filter)
          }
        }
        created.push({ filter, h: axisWindow(inH, k, s, p, ph), w: axisWindow(inW, k, s, p, pw) })
      }
    }
    plans.set(key, created)
    return created
  }

  // One stride-1 conv per phase with only that phase's taps: a strided conv's backward costs what its forward
  // does (one merged polyphase filter would be mostly zeros: 16/9 of the work for 3×3/2, 4× for 1×1/2).
  const inputGradient = (dy: tf.Tensor4D, inH: number, inW: number): tf.Tensor4D => {
    const phases = plan(inH, inW)
    let z: tf.Tensor4D
    if (phases.length === 1) z = phaseConv(dy, phases[0])
    else {
      const rows = Math.ceil(inH / s)
      const cols = Math.ceil(inW / s)
      const parts = phases.map((ph) => (ph.filter ? phaseConv(dy, ph) : tf.zeros([dy.shape[0], rows, cols, cin]) as tf.Tensor4D))
      z = interleave(tf.concat(parts, 3), s)
    }
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
      for (const f of phaseFilters.values()) f.dispose()
      phaseFilters.clear()
      plans.clear()
    }
  }
}
