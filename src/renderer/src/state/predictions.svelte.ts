/**
 * The pair's predictions on the current image: one `predict` job per image version (a new crop is a new version)
 * and pair, shared by the top-5 panel and the views that must know what each model predicts before they run
 * (an attack's target must be neither the true class nor either model's prediction).
 */
import type { Predictions } from '../../../shared/jobs'
import type { ModelInfo } from '../../../shared/model-format'
import { top1 } from '../lib/predictions'
import type { ImagesState, LoadedImage } from './images.svelte'
import { JobRunner } from './jobs.svelte'

export class CurrentPredictions {
  readonly runner = new JobRunner()
  /** The image version and model ids the last finished job was for. */
  #ranFor = $state.raw<{ image: LoadedImage; ids: string } | null>(null)
  #pending: { image: LoadedImage; ids: string; promise: Promise<Record<string, Predictions> | null> } | null = null

  /** Predictions per model id for this image version, when the last job was for it. */
  current(image: LoadedImage | null, models: readonly ModelInfo[]): Record<string, Predictions> | null {
    const ran = this.#ranFor
    if (!image || !ran || ran.image !== image || ran.ids !== models.map((m) => m.id).join('|')) return null
    return this.#collect(models)
  }

  #collect(models: readonly ModelInfo[]): Record<string, Predictions> | null {
    const out: Record<string, Predictions> = {}
    for (const m of models) {
      const r = this.runner.result(m.id, 'predict')
      if (!r) return null
      out[m.id] = r.predictions
    }
    return out
  }

  /** Predict (or reuse the last job's answer) for this image version; null when the job failed or was replaced. */
  async forImage(images: ImagesState, image: LoadedImage, models: readonly ModelInfo[]): Promise<Record<string, Predictions> | null> {
    const ids = models.map((m) => m.id).join('|')
    if (models.length === 0) return null
    const known = this.current(image, models)
    if (known) return known
    if (this.#pending && this.#pending.image === image && this.#pending.ids === ids) return this.#pending.promise
    const promise = (async () => {
      const done = await this.runner.run({ models: models.map((m) => m.id), images: images.toBatch([image.id], models[0].input), params: { method: 'predict' } })
      if (!done) return null
      this.#ranFor = { image, ids }
      return this.#collect(models)
    })()
    this.#pending = { image, ids, promise }
    try {
      return await promise
    } finally {
      if (this.#pending?.promise === promise) this.#pending = null
    }
  }

  /** Each model's top-1 class on this image version (model id → class), or null before the predictions are in. */
  top1s(image: LoadedImage | null, models: readonly ModelInfo[]): Record<string, number> | null {
    const preds = this.current(image, models)
    return preds ? Object.fromEntries(Object.entries(preds).map(([id, p]) => [id, top1(p, 0).index])) : null
  }
}
