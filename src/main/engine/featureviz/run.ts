/** The feature-visualization job: ascend r_k with the shared projected-gradient loop (L2, the lab's choice). */
import type { FeatureVizParams, FeatureVizResult } from '../../../shared/jobs'
import type { ImageBatch } from '../../../shared/images'
import type { RunContext } from '../api'
import { L2_BALL } from '../constraints'
import type { LoadedModel } from '../models/load'
import { projectedGradientLoop } from '../optimize'
import { predictPixels } from '../predict'
import { ProgressTracker } from '../progress'
import { featureObjective } from './objective'
import { pixelStart } from './parameterization'

export async function runFeatureViz(model: LoadedModel, images: ImageBatch, params: FeatureVizParams, ctx: RunContext): Promise<FeatureVizResult> {
  const n = images.shape[0]
  if (params.feature >= model.representationSize) {
    throw new Error(`feature ${params.feature} is out of range: model ${model.id} has ${model.representationSize} representation coordinates`)
  }
  const start = pixelStart(params.start, images.data, images.shape, params.noiseSigma, params.seed)
  const progress = new ProgressTracker(params.steps + 1, ctx.onProgress)
  const out = await projectedGradientLoop({
    model: model.classifier,
    center: start,
    shape: images.shape,
    objective: featureObjective(params.feature, n, params.fakeRelu),
    direction: 'ascend',
    constraint: L2_BALL,
    eps: params.eps,
    stepSize: params.stepSize,
    steps: params.steps,
    useBest: false,
    keepIterates: params.keepIterates,
    record: true,
    annotate: (_probs, values) => ({ pTrue: [], pTarget: [], activation: Array.from(values) }),
    signal: ctx.signal,
    progress
  })
  const after = await predictPixels(model.classifier, out.images, images.shape)
  const first = out.telemetry[0]
  return {
    method: 'featureViz',
    images: out.images,
    shape: images.shape,
    feature: params.feature,
    activationStart: first.activation ?? first.loss,
    activationEnd: out.objective,
    after,
    telemetry: out.telemetry,
    iterates: out.iterates
  }
}
