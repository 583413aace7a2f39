/**
 * Attack view state: PGD parameters per model (linked), the lab-exact and evaluation presets, job requests, and
 * the mapping from per-step telemetry to chart series. Pure functions are exported for tests and for the large-ε
 * view and exercises, which reuse them.
 */
import type { AttackParams, AttackResult, JobRequestInput, StepTelemetry } from '../../../shared/jobs'
import type { ChartConfiguration } from 'chart.js'
import type { ImageBatch } from '../../../shared/images'
import type { ModelInfo } from '../../../shared/model-format'
import { LinkedParams, pairRoles, type PairModels, type Role } from './side-by-side/linked.svelte'
import { CHART_TEXT, axis } from '../lib/chart-style'
import { fmt } from '../lib/format'
import { labScale } from '../lib/eps'
import { convertBudget, inputDims } from '../lib/eps'

export type AttackForm = Omit<AttackParams, 'method'>

/** Defaults sized for 32×32 CIFAR models: the CIFAR-10 L2 training radius, evaluation step rule. */
export const DEFAULT_ATTACK: AttackForm = {
  threat: 'l2',
  eps: 0.5,
  stepSize: 0.0625,
  steps: 20,
  targeted: false,
  targetClass: null,
  trueClass: null,
  randomStart: false,
  restarts: 0,
  useBest: false,
  keepIterates: 10,
  seed: 0
}

export type AttackPresetId = 'lab-exact' | 'evaluation' | 'custom'

/** The lab's exercise III/IV numbers (224² inputs). */
export const LAB_ATTACK = { eps: 1.25, stepSize: 0.5, steps: 20 } as const

/**
 * Lab-exact (science.md §3): no random start, last iterate, no restarts, the lab's ε 1.25 / step 0.5 / 20 steps,
 * carried to the model's input size by the RMS-preserving factor √(d/d₂₂₄) (§8).
 */
export function labExactPreset(model: Pick<ModelInfo, 'input'> | undefined): { patch: Partial<AttackForm>; note: string } {
  const s = labScale(model)
  const side = model ? `${model.input.height}×${model.input.width}` : '224×224'
  const patch: Partial<AttackForm> = {
    threat: 'l2',
    eps: round4(LAB_ATTACK.eps * s),
    stepSize: round4(LAB_ATTACK.stepSize * s),
    steps: LAB_ATTACK.steps,
    randomStart: false,
    useBest: false,
    restarts: 0
  }
  const note =
    s === 1
      ? 'Lab-exact: ε 1.25, step 0.5, 20 steps, no random start, last iterate (the lab\'s 224² numbers, unscaled).'
      : `Lab-exact: the lab's ε 1.25 / step 0.5 at 224² scaled by √(d/d₂₂₄) = ${fmt(s)} for ${side} inputs → ε ${patch.eps}, step ${patch.stepSize}; 20 steps, no random start, last iterate.`
  return { patch, note }
}

/** Evaluation (robustness README): random start, use best, step = 2.5·ε/steps. */
export function evaluationPreset(form: Pick<AttackForm, 'eps' | 'steps'>): { patch: Partial<AttackForm>; note: string } {
  const steps = form.steps || 20
  return {
    patch: { randomStart: true, useBest: true, steps, stepSize: round4((2.5 * form.eps) / steps) || 1e-4 },
    note: `Evaluation: random start, use best iterate, step = 2.5·ε/steps = ${fmt((2.5 * form.eps) / steps)}.`
  }
}

const round4 = (v: number): number => Number(v.toPrecision(4))

/** The attack params of one side, ready for a request. */
export function attackParams(form: AttackForm): AttackParams {
  return { method: 'attack', ...form, targetClass: form.targeted ? form.targetClass ?? 0 : form.targetClass }
}

export { sideBySideRequests } from './side-by-side/requests'

// ───────────────────────── telemetry → chart series ─────────────────────────

export interface AttackSeries {
  steps: number[]
  loss: number[]
  pTrue: number[]
  pTarget: number[]
  /** ‖δ‖ / ε: how much of the budget is used (the L2 or L∞ norm matching the threat). */
  budget: number[]
}

/** One image's curves from the telemetry history (steps in arrival order, duplicates collapsed to the latest). */
export function telemetrySeries(history: readonly StepTelemetry[], image: number, eps: number, threat: 'l2' | 'linf'): AttackSeries {
  const out: AttackSeries = { steps: [], loss: [], pTrue: [], pTarget: [], budget: [] }
  for (const t of history) {
    if (image >= t.loss.length) continue
    const last = out.steps.length - 1
    if (last >= 0 && out.steps[last] === t.step) {
      for (const k of ['steps', 'loss', 'pTrue', 'pTarget', 'budget'] as const) out[k].pop()
    }
    out.steps.push(t.step)
    out.loss.push(t.loss[image])
    out.pTrue.push(t.pTrue[image])
    out.pTarget.push(t.pTarget[image])
    const norm = threat === 'l2' ? t.deltaL2[image] : t.deltaLinf[image]
    out.budget.push(eps > 0 ? norm / eps : 0)
  }
  return out
}

/** The telemetry entry recorded at `step` (or the nearest earlier one). */
export function telemetryAt(history: readonly StepTelemetry[], step: number): StepTelemetry | undefined {
  let best: StepTelemetry | undefined
  for (const t of history) if (t.step <= step && (!best || t.step >= best.step)) best = t
  return best
}

/** Flip summary of one image for screen text. */
export function flipText(result: Pick<AttackResult, 'flippedAt' | 'targetClass'>, image: number, classes: readonly string[]): string {
  const at = result.flippedAt[image]
  if (at === null || at === undefined) return result.targetClass !== null ? `never reached “${classes[result.targetClass] ?? result.targetClass}”` : 'prediction never flipped'
  return result.targetClass !== null ? `reached “${classes[result.targetClass] ?? result.targetClass}” at step ${at}` : `flipped at step ${at}`
}

/** The attack view's state: linked parameters plus the preset last applied (stated on screen). */
export class AttackState {
  params = new LinkedParams<AttackForm>({ ...DEFAULT_ATTACK })
  preset = $state<AttackPresetId>('custom')
  presetNote = $state('')
  /** Which image of the batch the charts and images show. */
  image = $state(0)
  /** Keep the true class and target for the next images (else they go back to their defaults when the image changes). */
  pinned = $state(false)

  /**
   * The image changed: a true class or target picked for the last photo means nothing for this one, unless pinned.
   * Back to "the image's label" and the default target (which the run moves off the true class and the predictions).
   */
  imageChanged(): void {
    if (this.pinned) return
    for (const role of ['standard', 'robust'] as const) {
      const form = this.params.get(role)
      if (form.trueClass !== null || form.targetClass !== DEFAULT_ATTACK.targetClass) this.params.apply({ trueClass: null, targetClass: DEFAULT_ATTACK.targetClass }, role)
    }
  }

  applyPreset(id: AttackPresetId, model: Pick<ModelInfo, 'input'> | undefined): void {
    if (id === 'lab-exact') {
      const { patch, note } = labExactPreset(model)
      this.params.apply(patch)
      this.presetNote = note
    } else if (id === 'evaluation') {
      const { patch, note } = evaluationPreset(this.params.standard)
      this.params.apply(patch)
      this.presetNote = note
    } else {
      this.presetNote = ''
    }
    this.preset = id
  }

  /** Apply a parameter record (e.g. from an exercise); the preset becomes custom unless named. */
  apply(patch: Partial<AttackForm>, note = '', preset: AttackPresetId = 'custom'): void {
    this.params.apply(patch)
    this.preset = preset
    this.presetNote = note
  }

  /**
   * Switch L2 ↔ L∞ keeping the same RMS change per value (ε and step converted by √d, stated in the note); the
   * number is never reinterpreted under the other norm.
   */
  setThreat(role: Role, threat: 'l2' | 'linf', model: Pick<ModelInfo, 'input'> | undefined): void {
    const from = this.params.get(role)
    if (from.threat === threat) return
    if (!model) return this.set(role, 'threat', threat)
    const eps = convertBudget(from.eps, from.threat, threat, model)
    const stepSize = convertBudget(from.stepSize, from.threat, threat, model)
    const old = { eps: from.eps, stepSize: from.stepSize, threat: from.threat }
    this.set(role, 'threat', threat)
    this.set(role, 'eps', eps)
    this.set(role, 'stepSize', stepSize)
    const name = (t: 'l2' | 'linf'): string => (t === 'l2' ? 'L2' : 'L∞')
    this.presetNote = `Switched ${name(old.threat)} → ${name(threat)} at the same RMS change per value (÷ or × √d = ${fmt(Math.sqrt(inputDims(model)))}): ε ${fmt(old.eps)} → ${fmt(eps)}${threat === 'linf' ? ` (${fmt(eps * 255)}/255 per value)` : ''}, step ${fmt(old.stepSize)} → ${fmt(stepSize)}.`
  }

  /** A slider change: linked parameters move together; a manual edit leaves the preset. */
  set<K extends keyof AttackForm>(role: Role, key: K, value: AttackForm[K]): void {
    this.params.set(role, key, value)
    this.preset = 'custom'
    this.presetNote = ''
  }
}

// ───────────────────────── chart and perturbation display ─────────────────────────

/** Line-chart config for one model's attack: loss on the left axis; p(true), p(target), ‖δ‖/ε on [0,1] at the right. */
export function attackChartConfig(series: AttackSeries, opts: { title: string; targeted: boolean; threat: 'l2' | 'linf' }): ChartConfiguration<'line'> {
  const norm = opts.threat === 'l2' ? '‖δ‖₂ / ε' : '‖δ‖∞ / ε'
  const datasets: ChartConfiguration<'line'>['data']['datasets'] = [
    { label: 'loss (CE)', data: series.loss, yAxisID: 'loss', borderColor: '#e4572e', backgroundColor: '#e4572e', pointRadius: 0, borderWidth: 2 },
    { label: 'p(true)', data: series.pTrue, yAxisID: 'p', borderColor: '#2e86de', backgroundColor: '#2e86de', pointRadius: 0, borderWidth: 2 }
  ]
  if (opts.targeted) {
    datasets.push({ label: 'p(target)', data: series.pTarget, yAxisID: 'p', borderColor: '#17a34a', backgroundColor: '#17a34a', pointRadius: 0, borderWidth: 2 })
  }
  datasets.push({ label: norm, data: series.budget, yAxisID: 'p', borderColor: '#9b59b6', backgroundColor: '#9b59b6', borderDash: [5, 4], pointRadius: 0, borderWidth: 2 })
  return {
    type: 'line',
    data: { labels: series.steps, datasets },
    options: {
      plugins: { title: { display: true, text: opts.title, color: CHART_TEXT }, legend: { position: 'bottom', labels: { boxWidth: 12, color: CHART_TEXT } } },
      scales: {
        x: axis('step'),
        loss: { type: 'linear', position: 'left', ...axis('loss') },
        p: { type: 'linear', position: 'right', min: 0, max: 1.05, ...axis('probability, ‖δ‖/ε'), grid: { drawOnChartArea: false } }
      }
    }
  }
}

/**
 * An amplified picture of a perturbation for display: 0.5 + a·δ with a = 0.5 / max|δ| (so the largest change
 * spans the full range), and the factor a itself (stated on screen). One image of a batch; `factor` can be
 * forced so the scrubber's iterates share the final result's scale.
 */
export function amplify(delta: Float32Array, image: number, perImage: number, factor?: number): { pixels: Float32Array; factor: number } {
  const src = delta.subarray(image * perImage, (image + 1) * perImage)
  let max = 0
  for (let i = 0; i < src.length; i++) max = Math.max(max, Math.abs(src[i]))
  const a = factor ?? (max > 0 ? 0.5 / max : 1)
  const pixels = new Float32Array(src.length)
  for (let i = 0; i < src.length; i++) pixels[i] = Math.min(1, Math.max(0, 0.5 + a * src[i]))
  return { pixels, factor: a }
}

/** iterate − original for one image (the perturbation at a kept step). */
export function iterateDelta(iterate: Float32Array, original: Float32Array, image: number, perImage: number): Float32Array {
  const out = new Float32Array(perImage)
  const base = image * perImage
  for (let i = 0; i < perImage; i++) out[i] = iterate[base + i] - original[base + i]
  return out
}
