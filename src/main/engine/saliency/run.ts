/** The saliency job: plain gradient or a SmoothGrad variant, with class null = each image's top-1 prediction. */
import type { SaliencyParams, SaliencyResult } from '../../../shared/jobs'
import type { ImageBatch } from '../../../shared/images'
import type { RunContext } from '../api'
import type { LoadedModel } from '../models/load'
import { predictPixels, top1 } from '../predict'
import { checkpoint, ProgressTracker } from '../progress'
import { saliencyGradientFn, saliencyMaps } from './gradient'
import { combinePartials, finishSmoothGrad, smoothGradPartial, type SmoothGradPartial } from './smoothgrad'

async function classesFor(model: LoadedModel, images: ImageBatch, params: SaliencyParams): Promise<{ classIndex: number[]; predictions: SaliencyResult['predictions'] }> {
  if (params.classIndex !== null && params.classIndex >= model.classCount) {
    throw new Error(`class ${params.classIndex} is out of range: model ${model.id} has ${model.classCount} classes`)
  }
  const predictions = await predictPixels(model.classifier, images.data, images.shape)
  return { classIndex: params.classIndex === null ? top1(predictions) : new Array<number>(images.shape[0]).fill(params.classIndex), predictions }
}

/** Partial SmoothGrad sums over samples [start, end) — for spreading one job's samples over several workers. */
export async function saliencyPartial(model: LoadedModel, images: ImageBatch, params: SaliencyParams, range: { start: number; end: number }, ctx: RunContext): Promise<SmoothGradPartial> {
  if (params.smoothing.kind === 'none') throw new Error('partial sums need a SmoothGrad variant')
  const { classIndex } = await classesFor(model, images, params)
  const progress = new ProgressTracker(images.shape[0] * (range.end - range.start), ctx.onProgress)
  return smoothGradPartial(images.data, images.shape, saliencyGradientFn(model.classifier, params.gradient, classIndex), {
    sigma: params.smoothing.sigma,
    clipNoisy: params.smoothing.clipNoisy,
    seed: params.seed,
    start: range.start,
    end: range.end,
    signal: ctx.signal,
    progress
  })
}

export async function runSaliency(model: LoadedModel, images: ImageBatch, params: SaliencyParams, ctx: RunContext): Promise<SaliencyResult> {
  const { classIndex, predictions } = await classesFor(model, images, params)
  const n = images.shape[0]
  const base = { method: 'saliency' as const, shape: images.shape, classIndex, predictions }
  const { smoothing } = params
  if (smoothing.kind === 'none') {
    const maps = await saliencyMaps(model.classifier, images.data, n, params.gradient, classIndex)
    ctx.onProgress({ step: 1, totalSteps: 1, etaMs: 0 })
    await checkpoint(ctx.signal)
    return { ...base, maps, sigmaAbsolute: new Array<number>(n).fill(0), outOfRangeFraction: 0 }
  }
  const progress = new ProgressTracker(n * smoothing.samples, ctx.onProgress)
  const partial = await smoothGradPartial(images.data, images.shape, saliencyGradientFn(model.classifier, params.gradient, classIndex), {
    sigma: smoothing.sigma,
    clipNoisy: smoothing.clipNoisy,
    seed: params.seed,
    start: 0,
    end: smoothing.samples,
    signal: ctx.signal,
    progress
  })
  const { maps, outOfRangeFraction } = finishSmoothGrad(combinePartials([partial]), smoothing.kind)
  return { ...base, maps, sigmaAbsolute: partial.sigmaAbsolute, outOfRangeFraction }
}
