/**
 * PGD attacks through the shared loop (optimize.ts): untargeted = ascend CE of the true class, targeted = descend CE
 * toward the target (robustness `targeted=True` → m = −1).
 */
import type { AttackParams, AttackResult } from '../../../shared/jobs'
import type { ImageBatch } from '../../../shared/images'
import type { RunContext } from '../api'
import type { LoadedModel } from '../models/load'
import { optimize } from '../optimize'
import { predictPixels, top1 } from '../predict'
import { ProgressTracker } from '../progress'

export async function runAttack(model: LoadedModel, images: ImageBatch, params: AttackParams, ctx: RunContext): Promise<AttackResult> {
  const n = images.shape[0]
  const before = predictPixels(model, images.data, images.shape)
  for (const c of [params.targetClass, params.trueClass]) {
    if (c !== null && c >= model.classCount) throw new Error(`class ${c} is out of range: model ${model.id} has ${model.classCount} classes`)
  }
  const trueClass = params.trueClass === null ? top1(before) : new Array<number>(n).fill(params.trueClass)
  const targetClass = params.targeted ? params.targetClass : null
  if (params.targeted && targetClass === null) throw new Error('a targeted attack needs targetClass')
  const progress = new ProgressTracker((params.restarts + 1) * (params.steps + 1), ctx.onProgress)
  const out = await optimize({
    model,
    center: images.data,
    shape: images.shape,
    objective: { kind: 'crossEntropy', indices: params.targeted ? new Array<number>(n).fill(targetClass!) : trueClass },
    direction: params.targeted ? 'descend' : 'ascend',
    threat: params.threat,
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
  const after = predictPixels(model, out.images, images.shape)
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
