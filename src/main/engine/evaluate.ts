/**
 * Accuracy under attack over a labelled image set for a list of ε (the data of a robustness curve): untargeted PGD
 * (CE ascent) with step = stepFactor·ε/steps (robustness evaluation protocol, stepFactor 2.5), use-best, optional
 * random start; optional per-image minimal flipping ε by bisection (batched over images with per-image ε).
 */
import type { EvaluateParams, EvaluateResult } from '../../shared/jobs'
import type { ImageBatch } from '../../shared/images'
import type { RunContext } from './api'
import { pgd } from './attacks/pgd'
import { gradientBatchFor } from './batching'
import { constraintFor } from './constraints'
import type { LoadedModel } from './models/load'
import { predictPixels } from './predict'
import { checkpoint, ProgressTracker } from './progress'
import { deriveSeed } from './rng'

export const BISECTION_ITERATIONS = 6

interface Outcome {
  correct: boolean[]
  pTrue: number[]
}

async function outcomeOf(model: LoadedModel, data: Float32Array, shape: [number, number, number, number], labels: number[]): Promise<Outcome> {
  const { probabilities: p, classes } = await predictPixels(model.classifier, data, shape)
  const correct: boolean[] = []
  const pTrue: number[] = []
  labels.forEach((label, i) => {
    let best = 0
    for (let c = 1; c < classes; c++) if (p[i * classes + c] > p[i * classes + best]) best = c
    correct.push(best === label)
    pTrue.push(p[i * classes + label])
  })
  return { correct, pTrue }
}

/** Attack the images at `indices` with per-image ε; returns the outcome per listed image. */
async function attackOutcome(model: LoadedModel, images: ImageBatch, labels: number[], indices: number[], eps: number[], params: EvaluateParams, seed: number, ctx: RunContext, progress: ProgressTracker): Promise<Outcome> {
  const [, h, w, c] = images.shape
  const per = h * w * c
  const batch = gradientBatchFor(h, w)
  const out: Outcome = { correct: [], pTrue: [] }
  for (let start = 0; start < indices.length; start += batch) {
    const chunk = indices.slice(start, start + batch)
    const data = new Float32Array(chunk.length * per)
    chunk.forEach((idx, k) => data.set(images.data.subarray(idx * per, (idx + 1) * per), k * per))
    const shape: [number, number, number, number] = [chunk.length, h, w, c]
    const chunkLabels = chunk.map((i) => labels[i])
    const chunkEps = eps.slice(start, start + batch)
    const result = await pgd({
      model: model.classifier,
      images: data,
      shape,
      constraint: constraintFor(params.threat),
      eps: chunkEps,
      stepSize: chunkEps.map((e) => (params.stepFactor * e) / params.steps),
      steps: params.steps,
      randomStart: params.randomStart,
      restarts: 0,
      useBest: true,
      keepIterates: 0,
      seed: deriveSeed(seed, start),
      trueClass: chunkLabels,
      targetClass: null,
      signal: ctx.signal,
      progress
    })
    const o = await outcomeOf(model, result.images, shape, chunkLabels)
    out.correct.push(...o.correct)
    out.pTrue.push(...o.pTrue)
  }
  return out
}

export async function runEvaluate(model: LoadedModel, images: ImageBatch, params: EvaluateParams, ctx: RunContext): Promise<EvaluateResult> {
  const n = images.shape[0]
  const { labels, epsList } = params
  if (labels.length !== n) throw new Error(`evaluate needs one label per image: ${labels.length} labels for ${n} images`)
  for (const l of labels) if (l >= model.classCount) throw new Error(`label ${l} is out of range: model ${model.id} has ${model.classCount} classes`)
  const attacked = epsList.filter((e) => e > 0).length
  const steps = params.steps + 1
  const progress = new ProgressTracker((attacked + (params.minimalEps ? BISECTION_ITERATIONS : 0)) * n * steps, ctx.onProgress)
  const all = Array.from({ length: n }, (_, i) => i)
  const clean = await outcomeOf(model, images.data, images.shape, labels)
  const accuracy: number[] = []
  const meanTrueProb: number[] = []
  const correct = new Uint8Array(epsList.length * n)
  const outcomes: Outcome[] = []
  for (const [e, eps] of epsList.entries()) {
    await checkpoint(ctx.signal)
    const o = eps > 0 ? await attackOutcome(model, images, labels, all, new Array<number>(n).fill(eps), params, deriveSeed(params.seed, e), ctx, progress) : clean
    outcomes.push(o)
    o.correct.forEach((ok, i) => (correct[e * n + i] = ok ? 1 : 0))
    accuracy.push(o.correct.filter(Boolean).length / n)
    meanTrueProb.push(o.pTrue.reduce((s, p) => s + p, 0) / n)
  }
  let minimalEps: (number | null)[] | null = null
  if (params.minimalEps) minimalEps = await bisect(model, images, params, clean, outcomes, ctx, progress)
  return { method: 'evaluate', epsList: [...epsList], accuracy, meanTrueProb, correct, minimalEps }
}

async function bisect(model: LoadedModel, images: ImageBatch, params: EvaluateParams, clean: Outcome, outcomes: Outcome[], ctx: RunContext, progress: ProgressTracker): Promise<(number | null)[]> {
  const n = images.shape[0]
  const order = params.epsList.map((eps, e) => ({ eps, e })).sort((a, b) => a.eps - b.eps)
  const lo: number[] = new Array(n).fill(0)
  const hi: (number | null)[] = new Array(n).fill(null)
  const result: (number | null)[] = new Array(n).fill(null)
  for (let i = 0; i < n; i++) {
    if (!clean.correct[i]) {
      result[i] = 0
      continue
    }
    // the smallest listed ε that flipped this image, and the largest listed ε below it that did not
    for (const { eps, e } of order) {
      if (eps <= 0) continue
      if (!outcomes[e].correct[i]) {
        hi[i] = eps
        break
      }
      lo[i] = eps
    }
  }
  const open = (): number[] => Array.from({ length: n }, (_, i) => i).filter((i) => result[i] === null && hi[i] !== null)
  const pending = open()
  progress.setTotal(progress.completed + BISECTION_ITERATIONS * pending.length * (params.steps + 1))
  for (let it = 0; it < BISECTION_ITERATIONS && pending.length > 0; it++) {
    const mids = pending.map((i) => (lo[i] + hi[i]!) / 2)
    const o = await attackOutcome(model, images, params.labels, pending, mids, params, deriveSeed(params.seed, 0xb15ec7, it), ctx, progress)
    pending.forEach((i, k) => {
      if (o.correct[k]) lo[i] = mids[k]
      else hi[i] = mids[k]
    })
  }
  for (let i = 0; i < n; i++) if (result[i] === null && hi[i] !== null) result[i] = hi[i]
  return result
}
