/**
 * PGD attacks on the shared loop (optimize.ts): untargeted = ascend CE of the true class, targeted = descend CE toward
 * the target (robustness `targeted=True` → m = −1). The attack-only bookkeeping lives here: random starts and
 * restarts, success (targeted: top-1 = target; untargeted: top-1 ≠ true class), the first successful iterate.
 *
 *   random start (robustness semantics): L2 a point ON the ε-sphere, L∞ U(−ε, ε); then clamp [0,1]
 *   restarts: rerun from fresh random starts; per example keep the first run that succeeds; stop once all succeeded
 *   flippedAt[i]: first iterate whose top-1 counts as success (in the run that was kept); success of a run: top-1 at
 *   the returned iterate (the best one with useBest)
 */
import type { AttackParams, AttackResult, Iterate, StepTelemetry } from '../../../shared/jobs'
import type { ImageBatch } from '../../../shared/images'
import type { RunContext } from '../api'
import type { DifferentiableClassifier } from '../classifier'
import { constraintFor, type Constraint } from '../constraints'
import type { LoadedModel } from '../models/load'
import { perExample, projectedGradientLoop } from '../optimize'
import { predictPixels, top1 } from '../predict'
import { ProgressTracker } from '../progress'
import { deriveSeed, Rng } from '../rng'

/** Random start around `center` within the constraint's set (per example from its own seeded stream), clamped to [0,1]. */
export function randomStart(center: Float32Array, shape: [number, number, number, number], constraint: Constraint | 'l2' | 'linf', eps: number[], seed: number): Float32Array {
  const set = typeof constraint === 'string' ? constraintFor(constraint) : constraint
  const [n] = shape
  const per = center.length / n
  const out = new Float32Array(center.length)
  for (let i = 0; i < n; i++) {
    set.randomStart(center.subarray(i * per, (i + 1) * per), new Rng(deriveSeed(seed, i)), eps[i], out.subarray(i * per, (i + 1) * per))
  }
  return out
}

export interface PgdOptions {
  model: DifferentiableClassifier
  images: Float32Array
  shape: [number, number, number, number]
  constraint: Constraint
  eps: number | number[]
  stepSize: number | number[]
  steps: number
  randomStart: boolean
  /** Extra runs after the first, each from a fresh random start. */
  restarts: number
  useBest: boolean
  keepIterates: number
  seed: number
  /** Per example (untargeted: the class to move away from; p(true) in telemetry). */
  trueClass: number[]
  /** Targeted: descend CE toward this class. */
  targetClass: number | null
  signal: AbortSignal
  progress?: ProgressTracker
}

export interface PgdOutcome {
  images: Float32Array
  /** Telemetry and iterates of the first run. */
  telemetry: StepTelemetry[]
  iterates: Iterate[]
  flippedAt: (number | null)[]
  success: boolean[]
  runs: number
}

export async function pgd(options: PgdOptions): Promise<PgdOutcome> {
  const { shape, trueClass, targetClass } = options
  const n = shape[0]
  const per = options.images.length / n
  const eps = perExample(options.eps, n)
  const isSuccess = (top: number, i: number): boolean => (targetClass !== null ? top === targetClass : top !== trueClass[i])
  const objective = { kind: 'crossEntropy' as const, indices: targetClass !== null ? new Array<number>(n).fill(targetClass) : trueClass }
  const annotate = (probs: Float32Array, _values: Float32Array, classes: number) => ({
    pTrue: trueClass.map((c, i) => probs[i * classes + c]),
    pTarget: targetClass !== null ? Array.from({ length: n }, (_, i) => probs[i * classes + targetClass]) : []
  })
  const run = async (index: number) => {
    // restarts always start at random points (a second deterministic run would repeat the first)
    const start = options.randomStart || index > 0 ? randomStart(options.images, shape, options.constraint, eps, deriveSeed(options.seed, index)) : options.images
    const flippedAt: (number | null)[] = new Array(n).fill(null)
    const topPerStep: number[][] = []
    const out = await projectedGradientLoop({
      model: options.model,
      center: options.images,
      start,
      shape,
      objective,
      direction: targetClass !== null ? 'descend' : 'ascend',
      constraint: options.constraint,
      eps,
      stepSize: options.stepSize,
      steps: options.steps,
      useBest: options.useBest,
      keepIterates: options.keepIterates,
      record: index === 0,
      annotate,
      onStep: (entry) => {
        const tops = entry.top5.map((row) => row[0].index)
        topPerStep.push(tops)
        tops.forEach((top, i) => {
          if (flippedAt[i] === null && isSuccess(top, i)) flippedAt[i] = entry.step
        })
      },
      signal: options.signal,
      progress: options.progress
    })
    const success = out.chosenStep.map((t, i) => isSuccess(topPerStep[t][i], i))
    return { ...out, flippedAt, success }
  }
  const first = await run(0)
  const images = first.images
  const flippedAt = first.flippedAt.slice()
  const success = first.success.slice()
  let runs = 1
  for (let r = 1; r <= options.restarts && success.some((s) => !s); r++) {
    const next = await run(r)
    runs++
    for (let i = 0; i < n; i++) {
      if (!success[i] && next.success[i]) {
        images.set(next.images.subarray(i * per, (i + 1) * per), i * per)
        flippedAt[i] = next.flippedAt[i]
        success[i] = true
      }
    }
  }
  return { images, telemetry: first.telemetry, iterates: first.iterates, flippedAt, success, runs }
}

export async function runAttack(model: LoadedModel, images: ImageBatch, params: AttackParams, ctx: RunContext): Promise<AttackResult> {
  const n = images.shape[0]
  const classifier = model.classifier
  const before = await predictPixels(classifier, images.data, images.shape)
  for (const c of [params.targetClass, params.trueClass]) {
    if (c !== null && c >= model.classCount) throw new Error(`class ${c} is out of range: model ${model.id} has ${model.classCount} classes`)
  }
  const trueClass = params.trueClass === null ? top1(before) : new Array<number>(n).fill(params.trueClass)
  const targetClass = params.targeted ? params.targetClass : null
  if (params.targeted && targetClass === null) throw new Error('a targeted attack needs targetClass')
  const progress = new ProgressTracker((params.restarts + 1) * (params.steps + 1), ctx.onProgress)
  const out = await pgd({
    model: classifier,
    images: images.data,
    shape: images.shape,
    constraint: constraintFor(params.threat),
    eps: params.eps,
    stepSize: params.stepSize,
    steps: params.steps,
    randomStart: params.randomStart,
    restarts: params.restarts,
    useBest: params.useBest,
    keepIterates: params.keepIterates,
    seed: params.seed,
    trueClass,
    targetClass,
    signal: ctx.signal,
    progress
  })
  const after = await predictPixels(classifier, out.images, images.shape)
  const perturbation = new Float32Array(out.images.length)
  for (let j = 0; j < perturbation.length; j++) perturbation[j] = out.images[j] - images.data[j]
  return {
    method: 'attack',
    adversarial: out.images,
    perturbation,
    shape: images.shape,
    trueClass,
    targetClass,
    before,
    after,
    flippedAt: out.flippedAt,
    telemetry: out.telemetry,
    iterates: out.iterates
  }
}
