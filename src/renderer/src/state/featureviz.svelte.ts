/**
 * Feature-visualization view state: the coordinate k, the seed, the PGD settings per model (linked), the
 * coordinate browser (pages of 64 coordinates with their activation on the current image) and the top-5 /
 * bottom-5 activating images among everything loaded.
 */
import type { ChartConfiguration } from 'chart.js'
import type { ActivationsResult, FeatureVizParams, StepTelemetry } from '../../../shared/jobs'
import type { ImageBatch } from '../../../shared/images'
import type { ModelInfo } from '../../../shared/model-format'
import { LinkedParams, type Role } from './side-by-side/linked.svelte'
import { CHART_TEXT, axis } from '../lib/chart-style'
import { fmt } from '../lib/format'
import { labScale } from '../lib/eps'
import { MAX_BATCH_VALUES } from '../../../shared/images'
import { cropResizeRgb, type Crop, type RgbaImage } from '../lib/resize'
import { JobRunner } from './jobs.svelte'

export type FeatureVizForm = Omit<FeatureVizParams, 'method'>

/** The lab's VI.2 numbers (ε 1000, step 5, 20 steps at 224²), scaled ×1/7 for 32² inputs (science.md §4, §8). */
export const LAB_FEATUREVIZ = { feature: 200, eps: 1000, stepSize: 5, steps: 20 } as const

export const DEFAULT_FEATUREVIZ: FeatureVizForm = {
  feature: 200,
  fakeRelu: false,
  start: 'image',
  noiseSigma: 1,
  eps: 143,
  stepSize: 0.714,
  steps: 20,
  keepIterates: 10,
  seed: 0
}

export const PAGE_SIZE = 64

/** The lab's FV settings carried to a model's input size (ε stays far outside the image cube: unconstrained). */
export function labFeatureVizPatch(model: Pick<ModelInfo, 'input'> | undefined, lab: { eps: number; stepSize: number } = LAB_FEATUREVIZ): { patch: Partial<FeatureVizForm>; note: string } {
  const s = labScale(model)
  const patch = { eps: Number((lab.eps * s).toPrecision(4)), stepSize: Number((lab.stepSize * s).toPrecision(4)) }
  const note =
    s === 1
      ? `ε ${lab.eps}, step ${lab.stepSize} (the lab's 224² values).`
      : `The lab's ε ${lab.eps} / step ${lab.stepSize} at 224² scaled by √(d/d₂₂₄) = ${fmt(s)} → ε ${patch.eps} (still unconstrained: ε ≥ √d), step ${patch.stepSize}.`
  return { patch, note }
}

/** A coordinate valid for this model (the lab's 200 / 205 exist in 512-d and 2048-d representations). */
export const clampFeature = (k: number, size: number): number => Math.max(0, Math.min(size - 1, Math.floor(k)))

/** The coordinates on page p of a representation of `size` coordinates. */
export function pageFeatures(page: number, size: number, pageSize = PAGE_SIZE): number[] {
  const start = page * pageSize
  const end = Math.min(size, start + pageSize)
  const out: number[] = []
  for (let k = start; k < end; k++) out.push(k)
  return out
}

export const pageCount = (size: number, pageSize = PAGE_SIZE): number => Math.max(1, Math.ceil(size / pageSize))

export interface RankedImage {
  /** Index into the batch that was evaluated. */
  index: number
  value: number
}

/** Top-k and bottom-k images by one coordinate's activation (ties keep batch order). */
export function rankActivations(result: Pick<ActivationsResult, 'values' | 'features'>, feature: number, k = 5): { top: RankedImage[]; bottom: RankedImage[] } {
  const column = result.features.indexOf(feature)
  if (column < 0) return { top: [], bottom: [] }
  const width = result.features.length
  const n = Math.floor(result.values.length / width)
  const all: RankedImage[] = []
  for (let i = 0; i < n; i++) all.push({ index: i, value: result.values[i * width + column] })
  const top = [...all].sort((a, b) => b.value - a.value || a.index - b.index).slice(0, k)
  const bottom = [...all].sort((a, b) => a.value - b.value || a.index - b.index).slice(0, k)
  return { top, bottom }
}

/** Activation cells of one page for one image (row 0 of the result), with the page maximum for shading. */
export function pageCells(result: Pick<ActivationsResult, 'values' | 'features'>, image = 0): { feature: number; value: number }[] {
  const width = result.features.length
  return result.features.map((feature, j) => ({ feature, value: result.values[image * width + j] }))
}

/** The most active coordinate of image row `image` (ties: the lowest index); -1 for an empty row. */
export function mostActive(values: Float32Array, size: number, image = 0): { feature: number; value: number } {
  let feature = -1
  let value = -Infinity
  for (let k = 0; k < size; k++) {
    const v = values[image * size + k]
    if (v > value) {
      value = v
      feature = k
    }
  }
  return { feature, value }
}

export class FeatureVizState {
  params = new LinkedParams<FeatureVizForm>({ ...DEFAULT_FEATUREVIZ })
  page = $state(0)
  note = $state('')
  /**
   * True: each model's coordinate follows its most active one on the current image (the default: the two models'
   * coordinates are independent, so one shared index is usually dead on one of them). Picking a coordinate turns it
   * off (pinned) until the user asks for it again.
   */
  auto = $state(true)
  /** Activations of every coordinate on the current image, both models (the grid and the automatic choice). */
  readonly activations = new JobRunner()

  /**
   * Choose coordinate k: on both sides when linked (or `role` is not given), else on `role` only; shows its page.
   * A chosen coordinate is pinned (no longer follows the image).
   */
  selectFeature(k: number, representationSize: number, role?: Role): void {
    const f = clampFeature(k, representationSize)
    if (role && !this.params.linked) this.params.apply({ feature: f }, role)
    else this.params.apply({ feature: f })
    this.page = Math.floor(f / PAGE_SIZE)
    this.auto = false
  }

  /**
   * Set each side to its model's most active coordinate on the image whose activations are given (model id →
   * values over all coordinates). Answers the note for the screen, or null when nothing was set.
   */
  applyMostActive(models: Partial<Record<Role, { id: string; size: number }>>, values: Readonly<Record<string, Float32Array>>): string | null {
    const parts: string[] = []
    let first: number | null = null
    for (const role of ['standard', 'robust'] as const) {
      const m = models[role]
      const v = m ? values[m.id] : undefined
      if (!m || !v) continue
      const best = mostActive(v, m.size)
      if (best.feature < 0) continue
      this.params.apply({ feature: best.feature }, role)
      first ??= best.feature
      parts.push(`${role} r_${best.feature} = ${fmt(best.value)}`)
    }
    if (first === null) return null
    this.page = Math.floor(first / PAGE_SIZE)
    return `Coordinate per model: the most active one on this image (${parts.join(', ')}). The two models' coordinates are independent — r_k of one has nothing to do with r_k of the other.`
  }

  apply(patch: Partial<FeatureVizForm>, note = ''): void {
    this.params.apply(patch)
    this.note = note
    if (patch.feature !== undefined) this.page = Math.floor(patch.feature / PAGE_SIZE)
  }

  applyLab(model: Pick<ModelInfo, 'input'> | undefined): void {
    const { patch, note } = labFeatureVizPatch(model)
    this.apply({ ...patch, steps: LAB_FEATUREVIZ.steps }, note)
  }
}

/** Line-chart config of one model's run: the activation r_k per step (and the objective when it differs). */
export function featureVizChartConfig(history: readonly StepTelemetry[], opts: { title: string; feature: number }): ChartConfiguration<'line'> {
  const steps: number[] = []
  const activation: number[] = []
  for (const t of history) {
    steps.push(t.step)
    activation.push(t.activation?.[0] ?? t.loss[0])
  }
  return {
    type: 'line',
    data: {
      labels: steps,
      datasets: [{ label: `r_${opts.feature}(x)`, data: activation, borderColor: '#e4572e', backgroundColor: '#e4572e', pointRadius: 0, borderWidth: 2 }]
    },
    options: {
      plugins: { title: { display: true, text: opts.title, color: CHART_TEXT }, legend: { position: 'bottom', labels: { boxWidth: 12, color: CHART_TEXT } } },
      scales: { x: axis('step'), y: axis('activation') }
    }
  }
}

/** A one-image mid-gray batch: the seed image when the run starts from gray or noise and nothing is loaded. */
export function grayBatch(height: number, width: number): ImageBatch {
  return { data: new Float32Array(height * width * 3).fill(0.5), shape: [1, height, width, 3] }
}

// ───────────────────────── top / bottom candidates: images plus augmented views ─────────────────────────

export interface Candidate {
  name: string
  pixels: RgbaImage
  crop: Crop
  flip: boolean
}

/**
 * Each image's crop plus augmented views — its horizontal flip and five 70 % sub-crops (centre and corners) — so a
 * ranking over a handful of photos has many more candidates than photos (robust_representations ranks a dataset).
 */
export function augmentations(image: { name: string; pixels: RgbaImage; crop: Crop }): Candidate[] {
  const { crop } = image
  const s = Math.max(1, Math.round(crop.size * 0.7))
  const far = crop.size - s
  const sub = (dx: number, dy: number): Crop => ({ x: crop.x + dx, y: crop.y + dy, size: s })
  return [
    { name: image.name, pixels: image.pixels, crop, flip: false },
    { name: `${image.name} (flipped)`, pixels: image.pixels, crop, flip: true },
    { name: `${image.name} (centre crop)`, pixels: image.pixels, crop: sub(Math.floor(far / 2), Math.floor(far / 2)), flip: false },
    { name: `${image.name} (top-left crop)`, pixels: image.pixels, crop: sub(0, 0), flip: false },
    { name: `${image.name} (top-right crop)`, pixels: image.pixels, crop: sub(far, 0), flip: false },
    { name: `${image.name} (bottom-left crop)`, pixels: image.pixels, crop: sub(0, far), flip: false },
    { name: `${image.name} (bottom-right crop)`, pixels: image.pixels, crop: sub(far, far), flip: false }
  ]
}

/** The candidates as one model-size batch (as many as the request limit allows, in order). */
export function candidateBatch(candidates: readonly Candidate[], height: number, width: number): { batch: ImageBatch; names: string[] } {
  const per = height * width * 3
  const n = Math.min(candidates.length, Math.floor(MAX_BATCH_VALUES / per))
  const data = new Float32Array(n * per)
  for (let i = 0; i < n; i++) {
    const c = candidates[i]
    const input = cropResizeRgb(c.pixels, c.crop, height, width)
    if (c.flip) {
      for (let y = 0; y < height; y++)
        for (let x = 0; x < width; x++) for (let ch = 0; ch < 3; ch++) data[i * per + (y * width + x) * 3 + ch] = input[(y * width + (width - 1 - x)) * 3 + ch]
    } else data.set(input, i * per)
  }
  return { batch: { data, shape: [n, height, width, 3] }, names: candidates.slice(0, n).map((c) => c.name) }
}
