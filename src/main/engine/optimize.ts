/**
 * THE projected-gradient loop (MadryLab robustness `Attacker` semantics, science.md §3). PGD attacks (attacks/pgd.ts:
 * any threat model, targeted or not, restarts, success) and feature visualization are this loop with different
 * objectives, constraints (constraints.ts) and telemetry annotations. Everything is plain arrays over the model seam.
 *
 *   x ← start;  repeat: g ← ∇ₓ Σ objective;  x ← x + m·step·direction(g)   (m = +1 ascend, −1 descend)
 *               δ ← project(x − center);  x ← clamp(center + δ, 0, 1)
 *   use_best: per example keep the iterate with the best m·objective (evaluated at every iterate, the last included)
 *
 * Per iterate t = 0..steps one forward + backward pass gives the objective, the logits (telemetry) and the
 * gradient; the last iterate's gradient is only used for telemetry.
 */
import type { Iterate, StepTelemetry } from '../../shared/jobs'
import type { Direction } from '../../shared/objectives'
import { gradientBatchFor } from './batching'
import type { BatchObjective, DifferentiableClassifier } from './classifier'
import type { Constraint } from './constraints'
import { objectiveGradient, softmaxRows } from './gradient'
import { checkpoint, type ProgressTracker } from './progress'

export interface LoopOptions {
  model: DifferentiableClassifier
  /** Ball centre (NHWC in [0,1]). */
  center: Float32Array
  /** The first iterate; default: the centre. */
  start?: Float32Array
  shape: [number, number, number, number]
  objective: BatchObjective
  direction: Direction
  constraint: Constraint
  /** Per example or one for all. */
  eps: number | number[]
  stepSize: number | number[]
  steps: number
  useBest: boolean
  /** Keep telemetry and up to this many evenly spaced iterates (0: none). */
  keepIterates: number
  /** Keep the telemetry entries (progress and onStep see them either way). */
  record: boolean
  /** Images per forward + backward pass (bounds the tape's memory); default gradientBatchFor(H, W). */
  maxRowsPerPass?: number
  /** The caller's telemetry fields (attack: pTrue / pTarget; feature visualization: activation); default none. */
  annotate?: (probs: Float32Array, values: Float32Array, classes: number) => Pick<StepTelemetry, 'pTrue' | 'pTarget'> & Partial<StepTelemetry>
  /** Sees every iterate's telemetry once complete (e.g. the attack's success bookkeeping). */
  onStep?: (entry: StepTelemetry) => void
  signal: AbortSignal
  progress?: ProgressTracker
}

export interface LoopResult {
  /** The last iterate, or with useBest per example the best one. */
  images: Float32Array
  /** Per example: the objective at the returned iterate. */
  objective: number[]
  /** Per example: which iterate t was returned. */
  chosenStep: number[]
  telemetry: StepTelemetry[]
  iterates: Iterate[]
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

export const perExample = (v: number | number[], n: number): number[] => (Array.isArray(v) ? v : new Array<number>(n).fill(v))

function top5Of(probs: Float32Array, classes: number, i: number): { index: number; p: number }[] {
  const row = Array.from(probs.subarray(i * classes, (i + 1) * classes), (p, index) => ({ index, p }))
  row.sort((a, b) => b.p - a.p)
  return row.slice(0, 5)
}

/** ‖δ‖₂ and ‖δ‖∞ of one example's x − center. */
function deltaNorms(x: Float32Array, center: Float32Array, from: number, to: number): { l2: number; linf: number } {
  let s = 0
  let m = 0
  for (let j = from; j < to; j++) {
    const d = x[j] - center[j]
    s += d * d
    m = Math.max(m, Math.abs(d))
  }
  return { l2: Math.sqrt(s), linf: m }
}

/** One projected step for every example: x + m·step·direction(g), projected around center and onto [0,1]. */
function projectedStep(x: Float32Array, grad: Float32Array, options: LoopOptions, sign: number, eps: number[], step: number[]): Float32Array {
  const { center, constraint } = options
  const n = options.shape[0]
  const per = x.length / n
  const next = new Float32Array(x.length)
  const direction = new Float64Array(per)
  const delta = new Float64Array(per)
  for (let i = 0; i < n; i++) {
    const base = i * per
    constraint.direction(grad.subarray(base, base + per), direction)
    const move = sign * step[i]
    for (let j = 0; j < per; j++) delta[j] = x[base + j] + move * direction[j] - center[base + j]
    constraint.project(delta, eps[i])
    for (let j = 0; j < per; j++) next[base + j] = Math.min(1, Math.max(0, center[base + j] + delta[j]))
  }
  return next
}

export async function projectedGradientLoop(options: LoopOptions): Promise<LoopResult> {
  const { shape, steps, useBest, model, center } = options
  const n = shape[0]
  const per = center.length / n
  const sign = options.direction === 'ascend' ? 1 : -1
  const eps = perExample(options.eps, n)
  const step = perExample(options.stepSize, n)
  const rows = options.maxRowsPerPass ?? gradientBatchFor(shape[1], shape[2])
  const keep = iterateSchedule(steps, options.record ? options.keepIterates : 0)
  const best = useBest ? new Float32Array(center.length) : null
  const objective = new Array<number>(n).fill(NaN)
  const chosenStep = new Array<number>(n).fill(steps)
  const telemetry: StepTelemetry[] = []
  const iterates: Iterate[] = []
  let x = options.start ?? center
  for (let t = 0; t <= steps; t++) {
    const r = await objectiveGradient(model, x, n, options.objective, rows)
    const classes = r.logits.length / n
    const probs = softmaxRows(r.logits, classes)
    const deltaL2: number[] = []
    const deltaLinf: number[] = []
    const gradNorm: number[] = []
    for (let i = 0; i < n; i++) {
      const d = deltaNorms(x, center, i * per, (i + 1) * per)
      deltaL2.push(d.l2)
      deltaLinf.push(d.linf)
      let g = 0
      for (let j = i * per; j < (i + 1) * per; j++) g += r.grad[j] * r.grad[j]
      gradNorm.push(Math.sqrt(g))
    }
    if (best) {
      for (let i = 0; i < n; i++) {
        const v = r.values[i]
        if (Number.isNaN(objective[i]) || sign * v > sign * objective[i]) {
          objective[i] = v
          chosenStep[i] = t
          best.set(x.subarray(i * per, (i + 1) * per), i * per)
        }
      }
    } else if (t === steps) {
      for (let i = 0; i < n; i++) objective[i] = r.values[i]
    }
    const entry: StepTelemetry = {
      step: t,
      loss: Array.from(r.values),
      ...(options.annotate ? options.annotate(probs, r.values, classes) : { pTrue: [], pTarget: [] }),
      top5: Array.from({ length: n }, (_, i) => top5Of(probs, classes, i)),
      deltaL2,
      deltaLinf,
      gradNorm
    }
    if (options.record) telemetry.push(entry)
    if (keep.has(t)) iterates.push({ step: t, images: Float32Array.from(x) })
    if (t < steps) x = projectedStep(x, r.grad, options, sign, eps, step)
    options.onStep?.(entry)
    options.progress?.advance(1, entry)
    await checkpoint(options.signal)
  }
  return { images: best ?? Float32Array.from(x), objective, chosenStep, telemetry, iterates }
}
