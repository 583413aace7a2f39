/** Dispatch of one job to its method module. */
import type { MethodResult } from '../../shared/jobs'
import type { EngineJob, RunContext } from './api'
import { CancelledError } from './api'
import type { LoadedModel } from './models/load'
import { runActivations } from './activations'
import { runAttack } from './attacks/pgd'
import { runEvaluate } from './evaluate'
import { runFeatureViz } from './featureviz/run'
import { predictPixels } from './predict'
import { runSaliency } from './saliency/run'

export async function runMethod(model: LoadedModel, job: EngineJob, ctx: RunContext): Promise<MethodResult> {
  if (ctx.signal.aborted) throw new CancelledError()
  model.checkInputShape(job.images.shape)
  const { params } = job
  switch (params.method) {
    case 'predict': {
      return { method: 'predict', predictions: await predictPixels(model.classifier, job.images.data, job.images.shape) }
    }
    case 'saliency':
      return runSaliency(model, job.images, params, ctx)
    case 'attack':
      return runAttack(model, job.images, params, ctx)
    case 'featureViz':
      return runFeatureViz(model, job.images, params, ctx)
    case 'activations':
      return runActivations(model, job.images, params, ctx)
    case 'evaluate':
      return runEvaluate(model, job.images, params, ctx)
  }
}
