/** Dispatch of one job to its method module. */
import * as tf from '@tensorflow/tfjs'
import type { MethodResult } from '../../shared/jobs'
import type { EngineJob, RunContext } from './api'
import { CancelledError } from './api'
import type { LoadedModel } from './models/load'
import { predict } from './predict'

export async function runMethod(model: LoadedModel, job: EngineJob, ctx: RunContext): Promise<MethodResult> {
  if (ctx.signal.aborted) throw new CancelledError()
  model.checkInputShape(job.images.shape)
  const { params } = job
  switch (params.method) {
    case 'predict': {
      const x = tf.tensor4d(job.images.data, job.images.shape)
      try {
        return { method: 'predict', predictions: predict(model, x) }
      } finally {
        x.dispose()
      }
    }
    default:
      throw new Error(`method ${params.method} is not implemented yet`)
  }
}
