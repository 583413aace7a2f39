/** Representation coordinates over a set of images (for top-k / bottom-k images of a unit), batched. */
import type { ActivationsParams, ActivationsResult } from '../../shared/jobs'
import type { ImageBatch } from '../../shared/images'
import type { RunContext } from './api'
import { forwardInChunks } from './gradient'
import type { LoadedModel } from './models/load'
import { checkpoint, ProgressTracker } from './progress'

export const ACTIVATIONS_BATCH = 32

export async function runActivations(model: LoadedModel, images: ImageBatch, params: ActivationsParams, ctx: RunContext): Promise<ActivationsResult> {
  const size = model.representationSize
  for (const f of params.features) {
    if (f >= size) throw new Error(`feature ${f} is out of range: model ${model.id} has ${size} representation coordinates`)
  }
  const features = params.features.length > 0 ? params.features : Array.from({ length: size }, (_, k) => k)
  const [n, h, w, c] = images.shape
  const per = h * w * c
  const values = new Float32Array(n * features.length)
  const progress = new ProgressTracker(n, ctx.onProgress)
  for (let start = 0; start < n; start += ACTIVATIONS_BATCH) {
    const count = Math.min(ACTIVATIONS_BATCH, n - start)
    const r = (await forwardInChunks(model.classifier, images.data.subarray(start * per, (start + count) * per), count, ACTIVATIONS_BATCH)).features
    for (let i = 0; i < count; i++) {
      for (let k = 0; k < features.length; k++) values[(start + i) * features.length + k] = r[i * size + features[k]]
    }
    progress.advance(count)
    await checkpoint(ctx.signal)
  }
  return { method: 'activations', values, features }
}
