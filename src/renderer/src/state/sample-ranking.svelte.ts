/**
 * Which bundled samples the current pair gets right, decided at run time by the models' own predictions (one
 * `predict` job over the labelled samples, both models, cached per pair): the first screen's and the exercises'
 * default image is the sample both models classify correctly with the highest confidence, so an exercise never
 * starts from an image one of the models already gets wrong.
 */
import type { Predictions } from '../../../shared/jobs'
import type { ModelInfo } from '../../../shared/model-format'
import type { SampleInfo } from '../../../shared/ipc'
import { resolveLabel, sampleLabels, type ResolvedLabel } from '../lib/labels'
import { top1 } from '../lib/predictions'
import type { ImagesState } from './images.svelte'
import { JobRunner } from './jobs.svelte'
import type { ModelPair } from './models.svelte'

export interface SampleVerdict {
  id: string
  title: string
  label: ResolvedLabel
  /** Clip art ranks after every photo. */
  clipart?: boolean
  /** Top-1 class per model id. */
  predicted: Record<string, number>
  /** Every model of the pair predicts the label. */
  correct: boolean
  /** The smallest p(label) over the pair's models. */
  confidence: number
}

/**
 * Rank labelled samples: those every model gets right first, then photos before clip art (the exercises are about
 * photos; on the shipped CIFAR pair a 20-step ε 0.5 attack moves the standard model on the photos but not on the
 * flat, saturated clip art), then by the smallest p(label) over the models (highest first), then samples.json order.
 */
export function rankSamples(
  samples: readonly { id: string; title: string; label: ResolvedLabel; clipart?: boolean }[],
  predictions: readonly { modelId: string; predictions: Predictions }[]
): SampleVerdict[] {
  const verdicts = samples.map((s, n) => {
    const predicted: Record<string, number> = {}
    let confidence = 1
    let correct = predictions.length > 0
    for (const p of predictions) {
      const best = top1(p.predictions, n)
      predicted[p.modelId] = best.index
      confidence = Math.min(confidence, p.predictions.probabilities[n * p.predictions.classes + s.label.index])
      if (best.index !== s.label.index) correct = false
    }
    return { ...s, predicted, correct, confidence, order: n }
  })
  verdicts.sort(
    (a, b) => Number(b.correct) - Number(a.correct) || Number(a.clipart ?? false) - Number(b.clipart ?? false) || b.confidence - a.confidence || a.order - b.order
  )
  return verdicts.map(({ order: _order, ...v }) => v)
}

/** The labelled samples of a model's classes, with their label. */
export function labelledSamples(samples: readonly SampleInfo[], model: ModelInfo | undefined): { id: string; title: string; label: ResolvedLabel; clipart: boolean }[] {
  return samples.flatMap((s) => {
    const label = resolveLabel({ labels: sampleLabels(s), picked: {} }, model)
    return label ? [{ id: s.id, title: s.title, label, clipart: s.kind === 'clipart' }] : []
  })
}

const pairModels = (pair: ModelPair): ModelInfo[] => [pair.standard, pair.robust].filter((m): m is ModelInfo => m !== undefined)

export class SampleRanking {
  /** Rankings by pair id. */
  byPair = $state.raw<Readonly<Record<string, SampleVerdict[]>>>({})
  error = $state<string | null>(null)
  readonly #runner = new JobRunner()
  readonly #pending = new Map<string, Promise<SampleVerdict[]>>()

  get running(): boolean {
    return this.#runner.running
  }

  /** The pair's ranking (computed once per pair; concurrent callers share the job). */
  rank(images: ImagesState, pair: ModelPair): Promise<SampleVerdict[]> {
    const known = this.byPair[pair.id]
    if (known) return Promise.resolve(known)
    let pending = this.#pending.get(pair.id)
    if (!pending) {
      pending = this.#compute(images, pair).finally(() => this.#pending.delete(pair.id))
      this.#pending.set(pair.id, pending)
    }
    return pending
  }

  async #compute(images: ImagesState, pair: ModelPair): Promise<SampleVerdict[]> {
    const models = pairModels(pair)
    const first = models[0]
    if (!first) return []
    const samples = images.samples.length ? images.samples : await images.loadSampleList()
    const candidates = labelledSamples(samples, first)
    if (candidates.length === 0) return this.#store(pair.id, [])
    const { ids, batch } = await images.sampleBatch(
      candidates.map((c) => c.id),
      first.input
    )
    if (ids.length === 0) return this.#store(pair.id, [])
    const done = await this.#runner.run({ models: models.map((m) => m.id), images: batch, params: { method: 'predict' } })
    if (!done) {
      this.error = this.#runner.error ?? 'the sample predictions did not finish'
      return []
    }
    const kept = ids.map((id) => candidates.find((c) => c.id === id)).filter((c) => c !== undefined)
    const predictions = models.flatMap((m) => {
      const r = this.#runner.result(m.id, 'predict')
      return r ? [{ modelId: m.id, predictions: r.predictions }] : []
    })
    return this.#store(pair.id, rankSamples(kept, predictions))
  }

  #store(pairId: string, verdicts: SampleVerdict[]): SampleVerdict[] {
    this.byPair = { ...this.byPair, [pairId]: verdicts }
    return verdicts
  }

  /** The default image of a pair: the best-ranked sample (null before ranking or without labelled samples). */
  best(pairId: string | undefined): SampleVerdict | null {
    return pairId ? (this.byPair[pairId]?.[0] ?? null) : null
  }

  /**
   * Make the pair's default sample the current image (adding it when it is not loaded). Answers the verdict used,
   * or null when there is no labelled sample.
   */
  async selectDefault(images: ImagesState, pair: ModelPair): Promise<SampleVerdict | null> {
    const best = (await this.rank(images, pair))[0] ?? null
    if (!best) return null
    const loaded = images.images.find((i) => i.source.kind === 'sample' && i.source.sampleId === best.id)
    if (loaded) images.select(loaded.id)
    else await images.addSamples([best.id])
    return best
  }
}
