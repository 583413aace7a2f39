/**
 * THE projected-gradient loop (MadryLab robustness `Attacker` semantics, science.md §3). PGD attacks (L2 / L∞,
 * targeted or not) and feature visualization are this loop with different objectives and constraints.
 *
 *   x ← x₀ (+ random start: L2 a point ON the ε-sphere, L∞ U(−ε, ε); then clamp [0,1])
 *   repeat: g ← ∇ₓ Σ objective;  x ← x + m·step·ĝ  (L2: ĝ = g/(‖g‖₂+1e-10); L∞: ĝ = sign g),  m = +1 ascend, −1 descend
 *           δ ← x − center; L2: δ ← δ·min(1, ε/‖δ‖₂); L∞: δ ← clamp(δ, −ε, ε);  x ← clamp(center + δ, 0, 1)
 *   use_best: per example keep the iterate with the best m·objective (evaluated at every iterate, the last included)
 *   restarts: rerun from fresh random starts; per example keep the first run that succeeds
 *
 * Per iterate t = 0..steps one forward + backward pass gives the objective, the logits (telemetry) and the
 * gradient; the last iterate's gradient is only used for telemetry.
 */
import * as tf from '@tensorflow/tfjs'
import type { Iterate, StepTelemetry } from '../../shared/jobs'
import type { Direction } from '../../shared/objectives'
import { gradientBatchFor } from './batching'
import { batchedObjectiveGradient, type BatchObjective, type Differentiable } from './objectives'
import { checkpoint, type ProgressTracker } from './progress'
import { deriveSeed, Rng } from './rng'

export type Threat = 'l2' | 'linf'

export interface OptimizeOptions {
  model: Differentiable
  /** Start and ball centre (NHWC in [0,1]); `start` defaults to `center`. */
  center: Float32Array
  start?: Float32Array
  shape: [number, number, number, number]
  objective: BatchObjective
  direction: Direction
  threat: Threat
  /** Per example or one for all. */
  eps: number | number[]
  stepSize: number | number[]
  steps: number
  randomStart: boolean
  /** Extra runs after the first, each from a fresh random start. */
  restarts: number
  useBest: boolean
  keepIterates: number
  seed: number
  /** For telemetry (p(true)) and for success of untargeted runs. Per example. */
  trueClass: number[] | null
  /** For telemetry (p(target)) and for success of targeted runs. */
  targetClass: number | null
  /** Images per forward + backward pass (bounds the tape's memory); default gradientBatchFor(H, W). */
  maxRowsPerPass?: number
  /** Report the objective also as `activation` (feature visualization). */
  reportActivation?: boolean
  signal: AbortSignal
  progress?: ProgressTracker
  onTelemetry?: (t: StepTelemetry) => void
}

export interface OptimizeResult {
  images: Float32Array
  /** Telemetry and iterates of the first run. */
  telemetry: StepTelemetry[]
  iterates: Iterate[]
  /** Per example: first iterate index whose top-1 counts as success (in the run that was kept); null = never. */
  flippedAt: (number | null)[]
  /** Per example objective at the returned images' iterate (the best one with useBest). */
  finalObjective: number[]
  runs: number
}

/** Evenly spaced iterate indices in 0..steps, always including the last; empty for count 0. */
export function iterateSchedule(steps: number, count: number): Set<number> {
  const out = new Set<number>()
  if (count <= 0) return out
  if (count >= steps + 1) {
    for (let t = 0; t <= steps; t++) out.add(t)
    return out
  }
  for (let j = 1; j <= count; j++) out.add(Math.round((j * steps) / count))
  return out
}

const perExample = (v: number | number[], n: number): number[] => (Array.isArray(v) ? v : new Array<number>(n).fill(v))

function top5Of(probs: Float32Array, classes: number, i: number): { index: number; p: number }[] {
  const row = Array.from(probs.subarray(i * classes, (i + 1) * classes), (p, index) => ({ index, p }))
  row.sort((a, b) => b.p - a.p)
  return row.slice(0, 5)
}

function isSuccess(top1: number, i: number, options: OptimizeOptions): boolean {
  if (options.targetClass !== null && options.direction === 'descend' && options.objective.kind === 'crossEntropy') return top1 === options.targetClass
  if (options.trueClass) return top1 !== options.trueClass[i]
  return false
}

/** Random start around `center` (robustness semantics), clamped to [0,1]. */
export function randomStart(center: Float32Array, shape: [number, number, number, number], threat: Threat, eps: number[], seed: number): Float32Array {
  const [n] = shape
  const per = center.length / n
  const out = new Float32Array(center.length)
  for (let i = 0; i < n; i++) {
    const rng = new Rng(deriveSeed(seed, i))
    if (threat === 'l2') {
      const noise = rng.gaussianArray(per)
      let norm = 0
      for (let j = 0; j < per; j++) norm += noise[j] * noise[j]
      const scale = eps[i] / (Math.sqrt(norm) + 1e-12)
      for (let j = 0; j < per; j++) out[i * per + j] = Math.min(1, Math.max(0, center[i * per + j] + scale * noise[j]))
    } else {
      for (let j = 0; j < per; j++) out[i * per + j] = Math.min(1, Math.max(0, center[i * per + j] + eps[i] * (2 * rng.uniform() - 1)))
    }
  }
  return out
}

const l2PerExample = (t: tf.Tensor4D): tf.Tensor4D => tf.sqrt(tf.sum(tf.square(t), [1, 2, 3], true))

/** One projected step: x + m·step·ĝ, projected onto the ε-ball around center and onto [0,1]. */
function projectedStep(x: tf.Tensor4D, g: tf.Tensor4D, center: tf.Tensor4D, threat: Threat, sign: number, step: tf.Tensor4D, eps: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const direction = threat === 'l2' ? tf.div(g, tf.add(l2PerExample(g), 1e-10)) : tf.sign(g)
    const moved = tf.add(x, tf.mul(tf.mul(step, sign), direction))
    let delta = tf.sub(moved, center)
    if (threat === 'l2') {
      const norm = l2PerExample(delta as tf.Tensor4D)
      delta = tf.mul(delta, tf.minimum(1, tf.div(eps, tf.add(norm, 1e-12))))
    } else {
      delta = tf.minimum(tf.maximum(delta, tf.neg(eps)), eps)
    }
    return tf.clipByValue(tf.add(center, delta), 0, 1) as tf.Tensor4D
  })
}

interface RunOutcome {
  images: Float32Array
  objective: number[]
  flippedAt: (number | null)[]
  success: boolean[]
  telemetry: StepTelemetry[]
  iterates: Iterate[]
}

async function singleRun(options: OptimizeOptions, start: Float32Array, record: boolean): Promise<RunOutcome> {
  const { shape, steps, threat, useBest } = options
  const n = shape[0]
  const sign = options.direction === 'ascend' ? 1 : -1
  const epsArr = perExample(options.eps, n)
  const stepArr = perExample(options.stepSize, n)
  const center = tf.tensor4d(options.center, shape)
  const eps = tf.tensor4d(epsArr, [n, 1, 1, 1])
  const step = tf.tensor4d(stepArr, [n, 1, 1, 1])
  let x = tf.tensor4d(start, shape)
  let best: tf.Tensor4D | null = null
  const bestObjective = new Array<number>(n).fill(NaN)
  const flippedAt: (number | null)[] = new Array(n).fill(null)
  const success = new Array<boolean>(n).fill(false)
  const telemetry: StepTelemetry[] = []
  const iterates: Iterate[] = []
  const keep = record ? iterateSchedule(steps, options.keepIterates) : new Set<number>()
  const rowsPerPass = options.maxRowsPerPass ?? gradientBatchFor(shape[1], shape[2])
  try {
    for (let t = 0; t <= steps; t++) {
      const current = x
      let measured: { values: Float32Array; probs: Float32Array; deltaL2: Float32Array; deltaLinf: Float32Array; gradNorm: Float32Array; next: tf.Tensor4D | null } | null = null
      tf.tidy(() => {
        const r = batchedObjectiveGradient(options.model, current, options.objective, rowsPerPass)
        const delta = tf.sub(current, center)
        measured = {
          values: r.values.dataSync() as Float32Array,
          probs: tf.softmax(r.logits).dataSync() as Float32Array,
          deltaL2: tf.reshape(l2PerExample(delta as tf.Tensor4D), [n]).dataSync() as Float32Array,
          deltaLinf: tf.max(tf.abs(delta), [1, 2, 3]).dataSync() as Float32Array,
          gradNorm: tf.reshape(l2PerExample(r.grad), [n]).dataSync() as Float32Array,
          next: t < steps ? tf.keep(projectedStep(current, r.grad, center, threat, sign, step, eps)) : null
        }
      })
      const { values, next, probs, deltaL2, deltaLinf, gradNorm } = measured!
      const classes = probs.length / n
      const top5 = Array.from({ length: n }, (_, i) => top5Of(probs, classes, i))
      for (let i = 0; i < n; i++) {
        if (flippedAt[i] === null && isSuccess(top5[i][0].index, i, options)) flippedAt[i] = t
      }
      if (useBest) {
        const replace = Array.from(values, (v, i) => Number.isNaN(bestObjective[i]) || sign * v > sign * bestObjective[i])
        if (replace.some(Boolean)) {
          const mask = tf.tensor4d(replace.map((r) => (r ? 1 : 0)), [n, 1, 1, 1])
          const updated: tf.Tensor4D = best ? tf.tidy(() => tf.where(tf.cast(tf.broadcastTo(mask, shape), 'bool'), current, best!)) : tf.clone(current)
          mask.dispose()
          best?.dispose()
          best = updated
          replace.forEach((r, i) => {
            if (r) {
              bestObjective[i] = values[i]
              success[i] = isSuccess(top5[i][0].index, i, options)
            }
          })
        }
      } else if (t === steps) {
        for (let i = 0; i < n; i++) {
          bestObjective[i] = values[i]
          success[i] = isSuccess(top5[i][0].index, i, options)
        }
      }
      const entry: StepTelemetry = {
        step: t,
        loss: Array.from(values),
        pTrue: options.trueClass ? options.trueClass.map((c, i) => probs[i * classes + c]) : [],
        pTarget: options.targetClass !== null ? Array.from({ length: n }, (_, i) => probs[i * classes + options.targetClass!]) : [],
        top5,
        deltaL2: Array.from(deltaL2),
        deltaLinf: Array.from(deltaLinf),
        gradNorm: Array.from(gradNorm),
        ...(options.reportActivation ? { activation: Array.from(values) } : {})
      }
      if (record) telemetry.push(entry)
      if (keep.has(t)) iterates.push({ step: t, images: current.dataSync() as Float32Array })
      if (next) {
        x = next
        current.dispose()
      }
      options.progress?.advance(1, entry)
      options.onTelemetry?.(entry)
      await checkpoint(options.signal)
    }
    const result = useBest && best ? best : x
    return { images: Float32Array.from(result.dataSync()), objective: bestObjective, flippedAt, success, telemetry, iterates }
  } finally {
    center.dispose()
    eps.dispose()
    step.dispose()
    x.dispose()
    best?.dispose()
  }
}

export async function optimize(options: OptimizeOptions): Promise<OptimizeResult> {
  const n = options.shape[0]
  const eps = perExample(options.eps, n)
  const startOf = (run: number): Float32Array => {
    const base = options.start ?? options.center
    // restarts always start at random points (a second deterministic run would repeat the first)
    if (options.randomStart || run > 0) return randomStart(base, options.shape, options.threat, eps, deriveSeed(options.seed, run))
    return base
  }
  const first = await singleRun(options, startOf(0), true)
  const images = first.images
  const per = images.length / n
  const flippedAt = first.flippedAt.slice()
  const finalObjective = first.objective.slice()
  const success = first.success.slice()
  let runs = 1
  for (let run = 1; run <= options.restarts && success.some((s) => !s); run++) {
    const next = await singleRun(options, startOf(run), false)
    runs++
    for (let i = 0; i < n; i++) {
      if (!success[i] && next.success[i]) {
        images.set(next.images.subarray(i * per, (i + 1) * per), i * per)
        flippedAt[i] = next.flippedAt[i]
        finalObjective[i] = next.objective[i]
        success[i] = true
      }
    }
  }
  return { images, telemetry: first.telemetry, iterates: first.iterates, flippedAt, finalObjective, runs }
}
