/**
 * The Saliency view's parameters: one record per model role, linked by default (a change applies to both and one
 * twin job runs, sharing seed and noise), unlinkable (then one job per model). Display options (preset,
 * shared scale, overlay opacity) are not job parameters: changing them never recomputes.
 * Persisted flat (settings.views.saliency is a record of primitives): `<role>.<key>` plus the display keys.
 * The per-role records are the side-by-side kit's LinkedParams (state/side-by-side), as in every other view.
 */
import type { JobRequestInput, SaliencyParams } from '../../../shared/jobs'
import { isPresetId, type PresetId } from '../../../shared/presets'
import type { ViewParams } from './settings.svelte'
import type { Role } from './models.svelte'
import { LinkedParams } from './side-by-side/linked.svelte'

export type Smoothing = 'none' | 'smoothgrad' | 'smoothgrad2' | 'vargrad'

export interface SaliencyPanelParams {
  gradient: 'loss' | 'score'
  /** null = each model's own top-1 prediction. */
  classIndex: number | null
  smoothing: Smoothing
  samples: number
  /** Fraction of the image's range (x_max − x_min). */
  sigma: number
  clipNoisy: boolean
  seed: number
}

export interface SaliencyDisplay {
  preset: PresetId
  sharedScale: boolean
  overlay: boolean
  opacity: number
  /** Run on every loaded image (up to 8, like the lab's batch of 5) instead of the current one. */
  allImages: boolean
}

export const SMOOTHING_LABELS: Record<Smoothing, string> = {
  none: 'None (plain gradient)',
  smoothgrad: 'SmoothGrad (mean)',
  smoothgrad2: 'SmoothGrad² (mean of squares)',
  vargrad: 'VarGrad (variance)'
}

export const defaultPanelParams = (): SaliencyPanelParams => ({
  gradient: 'loss',
  classIndex: null,
  smoothing: 'none',
  samples: 50,
  sigma: 0.15,
  clipNoisy: false,
  seed: 0
})

/** Parameter presets (science.md §6): each states its convention. */
export interface SaliencyPreset {
  id: string
  label: string
  note: string
  params: Partial<SaliencyPanelParams>
  /** An absolute σ (pixel units): converted to a fraction of the current image's range when applied. */
  sigmaAbsolute?: number
  display?: Partial<SaliencyDisplay>
}

export const SALIENCY_PRESETS: SaliencyPreset[] = [
  {
    id: 'lab-vanilla',
    label: 'Lab I / VI.1: vanilla loss gradient',
    note: '∇ₓ CE(f(x), y), signed RGB ±3σ display (practicum exercise I)',
    params: { gradient: 'loss', smoothing: 'none' },
    display: { preset: 'lab' }
  },
  {
    id: 'lab-smoothgrad',
    label: 'Lab II: SmoothGrad N = 100, σ = 0.3',
    note: 'raw mean of 100 loss gradients, σ = 0.3 absolute (practicum exercise II): set as 0.3 ÷ the current image range',
    params: { gradient: 'loss', smoothing: 'smoothgrad', samples: 100 },
    sigmaAbsolute: 0.3,
    display: { preset: 'lab' }
  },
  {
    id: 'paper',
    label: 'SmoothGrad paper: N = 50, σ = 15 %',
    note: 'class-score gradient, σ = 15 % of the range, |·| grayscale with p99 clip (Smilkov et al. 2017)',
    params: { gradient: 'score', smoothing: 'smoothgrad', samples: 50, sigma: 0.15 },
    display: { preset: 'smoothgrad' }
  },
  {
    id: 'pair',
    label: 'PAIR saliency: SG², N = 25, σ = 15 %',
    note: 'GetSmoothedMask defaults: magnitude=True (SmoothGrad²), stdev_spread 0.15, 25 samples',
    params: { gradient: 'score', smoothing: 'smoothgrad2', samples: 25, sigma: 0.15 },
    display: { preset: 'smoothgrad' }
  },
  {
    id: 'vargrad',
    label: 'VarGrad: N = 50, σ = 15 %',
    note: 'variance of 50 noisy class-score gradients (Adebayo et al. 2018)',
    params: { gradient: 'score', smoothing: 'vargrad', samples: 50, sigma: 0.15 },
    display: { preset: 'smoothgrad' }
  }
]

const ROLE_KEYS: Role[] = ['standard', 'robust']

/** An absolute σ as a fraction of the image range (the job's unit), 3 significant digits, within the schema's [0, 2]. */
export function sigmaFraction(sigmaAbsolute: number, imageRange: number | null): number {
  if (!imageRange || imageRange <= 0) return sigmaAbsolute
  return Math.min(2, Number((sigmaAbsolute / imageRange).toPrecision(3)))
}

export class SaliencyState {
  /** Each model's parameters, linked by default (the side-by-side kit). */
  readonly params = new LinkedParams<SaliencyPanelParams>(defaultPanelParams())
  display = $state<SaliencyDisplay>({ preset: 'lab', sharedScale: false, overlay: false, opacity: 0.6, allImages: false })
  /** The last applied parameter preset id ('' = custom). */
  presetId = $state('')
  /** Keep a chosen class for the next images (else it goes back to "each model's prediction" when the image changes). */
  pinned = $state(false)

  constructor(saved?: ViewParams, defaultPreset?: string) {
    if (defaultPreset && isPresetId(defaultPreset)) this.display.preset = defaultPreset
    if (saved) this.restore(saved)
  }

  get linked(): boolean {
    return this.params.linked
  }
  get standard(): SaliencyPanelParams {
    return this.params.standard
  }
  get robust(): SaliencyPanelParams {
    return this.params.robust
  }

  get(role: Role): SaliencyPanelParams {
    return this.params.get(role)
  }

  /** Back to the defaults (linked, default parameters and display). */
  reset(): void {
    this.params.linked = true
    this.params.apply(defaultPanelParams())
    this.display = { preset: 'lab', sharedScale: false, overlay: false, opacity: 0.6, allImages: false }
    this.presetId = ''
    this.pinned = false
  }

  /** The image changed: a class picked for the last photo means nothing for this one, unless pinned. */
  imageChanged(): void {
    if (this.pinned) return
    for (const r of ROLE_KEYS) this.get(r).classIndex = null
  }

  /** Set one parameter: on both panels when linked, else on `role` only. */
  set<K extends keyof SaliencyPanelParams>(role: Role, key: K, value: SaliencyPanelParams[K]): void {
    this.params.set(role, key, value)
    this.presetId = ''
  }

  setLinked(linked: boolean, from: Role = 'standard'): void {
    this.params.setLinked(linked, from)
  }

  /** Apply a parameter preset; `imageRange` (x_max − x_min of the current input) converts an absolute σ. */
  applyPreset(id: string, imageRange: number | null = null): void {
    const preset = SALIENCY_PRESETS.find((p) => p.id === id)
    if (!preset) return
    const sigma = preset.sigmaAbsolute === undefined ? {} : { sigma: sigmaFraction(preset.sigmaAbsolute, imageRange) }
    this.params.apply({ ...preset.params, ...sigma })
    if (preset.display) Object.assign(this.display, preset.display)
    this.presetId = id
  }

  /** The job parameters of one panel. */
  jobParams(role: Role): SaliencyParams {
    const p = this.get(role)
    return {
      method: 'saliency',
      gradient: p.gradient,
      classIndex: p.classIndex,
      smoothing: p.smoothing === 'none' ? { kind: 'none' } : { kind: p.smoothing, samples: p.samples, sigma: p.sigma, clipNoisy: p.clipNoisy },
      seed: p.seed
    }
  }

  /**
   * The jobs to run for the models of the pair: one twin job when linked (or a single model), else one job per
   * model. Each entry lists its model ids.
   */
  requests(models: { id: string; role: Role }[], images: JobRequestInput['images']): JobRequestInput[] {
    if (models.length === 0) return []
    if (this.linked || models.length === 1) return [{ models: models.map((m) => m.id), images, params: this.jobParams(models[0].role) }]
    return models.map((m) => ({ models: [m.id], images, params: this.jobParams(m.role) }))
  }

  /** Flat record for settings.views.saliency and experiment cards. */
  toRecord(): ViewParams {
    return {
      ...this.params.toRecord(),
      preset: this.display.preset,
      sharedScale: this.display.sharedScale,
      overlay: this.display.overlay,
      opacity: this.display.opacity,
      allImages: this.display.allImages,
      paramPreset: this.presetId,
      pinned: this.pinned
    }
  }

  /** Restore from a record written by toRecord (unknown or ill-typed keys are ignored). */
  restore(record: ViewParams): void {
    if (typeof record.preset === 'string' && isPresetId(record.preset)) this.display.preset = record.preset
    if (typeof record.sharedScale === 'boolean') this.display.sharedScale = record.sharedScale
    if (typeof record.overlay === 'boolean') this.display.overlay = record.overlay
    if (typeof record.allImages === 'boolean') this.display.allImages = record.allImages
    if (typeof record.opacity === 'number') this.display.opacity = Math.min(1, Math.max(0, record.opacity))
    if (typeof record.paramPreset === 'string') this.presetId = record.paramPreset
    if (typeof record.pinned === 'boolean') this.pinned = record.pinned
    // LinkedParams checks the types; the enumerations are checked here (own keys only: not 'constructor')
    const valid: ViewParams = { ...record }
    for (const r of ROLE_KEYS) {
      const gradient = valid[`${r}.gradient`]
      if (gradient !== undefined && gradient !== 'loss' && gradient !== 'score') delete valid[`${r}.gradient`]
      const smoothing = valid[`${r}.smoothing`]
      if (smoothing !== undefined && !(typeof smoothing === 'string' && Object.hasOwn(SMOOTHING_LABELS, smoothing))) delete valid[`${r}.smoothing`]
    }
    this.params.restore(valid, defaultPanelParams())
  }
}
