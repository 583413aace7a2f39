/**
 * Robustness-curve state: a log-spaced ε grid, the true label of each image (the sample's label, else the user's
 * pick, else the standard model's clean prediction — the view says which), and the evaluate request.
 */
import type { ChartConfiguration } from 'chart.js'
import type { EvaluateParams, EvaluateResult } from '../../../shared/jobs'
import type { ModelInfo } from '../../../shared/model-format'
import { CHART_TEXT, axis, fmt, labScale } from '../views/attack/linked.svelte'

/** ε = 0 (clean accuracy) followed by n log-spaced values from min to max. */
export function logGrid(min: number, max: number, n: number, includeZero = true): number[] {
  if (!(min > 0) || !(max >= min) || n < 1) throw new Error(`bad ε grid: min ${min}, max ${max}, n ${n}`)
  const out: number[] = includeZero ? [0] : []
  if (n === 1) return [...out, max]
  const a = Math.log(min)
  const b = Math.log(max)
  for (let i = 0; i < n; i++) out.push(Number(Math.exp(a + ((b - a) * i) / (n - 1)).toPrecision(3)))
  return out
}

export type LabelSource = 'sample' | 'user' | 'predicted'

export interface LabelledImage {
  id: string
  name: string
  /** Class name from samples.json, when the image is a bundled sample. */
  label: string | null
}

export interface ResolvedLabels {
  labels: number[]
  sources: LabelSource[]
}

/**
 * One label per image: the sample's label when it names one of the model's classes, else the user's pick, else the
 * standard model's clean prediction. Returns null for an image that needs a prediction when none is given.
 */
export function resolveLabels(
  images: readonly LabelledImage[],
  classes: readonly string[],
  userLabels: Readonly<Record<string, number>>,
  predicted: readonly number[] | null
): ResolvedLabels | null {
  const lower = classes.map((c) => c.toLowerCase())
  const labels: number[] = []
  const sources: LabelSource[] = []
  for (let i = 0; i < images.length; i++) {
    const img = images[i]
    const fromSample = img.label === null ? -1 : lower.indexOf(img.label.toLowerCase())
    if (fromSample >= 0) {
      labels.push(fromSample)
      sources.push('sample')
    } else if (userLabels[img.id] !== undefined) {
      labels.push(userLabels[img.id])
      sources.push('user')
    } else if (predicted && predicted[i] !== undefined) {
      labels.push(predicted[i])
      sources.push('predicted')
    } else {
      return null
    }
  }
  return { labels, sources }
}

/** Whether any image would fall back to the standard model's prediction (then a predict job runs first). */
export const needsPrediction = (images: readonly LabelledImage[], classes: readonly string[], userLabels: Readonly<Record<string, number>>): boolean =>
  resolveLabels(images, classes, userLabels, null) === null

export const LABEL_SOURCE_TEXT: Record<LabelSource, string> = {
  sample: 'label from samples.json',
  user: 'label you picked',
  predicted: "standard model's clean prediction"
}

export interface CurveForm {
  threat: 'l2' | 'linf'
  epsMin: number
  epsMax: number
  points: number
  steps: number
  stepFactor: number
  randomStart: boolean
  minimalEps: boolean
  seed: number
}

/** ε range sized to the input: L2 0.02–2 at 32² (CIFAR radii 0.25–1 inside), ×7 at 224²; L∞ 1/255–16/255. */
export function defaultCurveForm(model: Pick<ModelInfo, 'input'> | undefined, threat: 'l2' | 'linf' = 'l2'): CurveForm {
  const s = model ? labScale(model) * 7 : 1
  return {
    threat,
    epsMin: threat === 'l2' ? Number((0.02 * s).toPrecision(3)) : Number((1 / 255).toPrecision(3)),
    epsMax: threat === 'l2' ? Number((2 * s).toPrecision(3)) : Number((16 / 255).toPrecision(3)),
    points: 8,
    steps: 20,
    stepFactor: 2.5,
    randomStart: false,
    minimalEps: true,
    seed: 0
  }
}

export function evaluateParams(form: CurveForm, labels: number[]): EvaluateParams {
  return {
    method: 'evaluate',
    labels,
    threat: form.threat,
    epsList: logGrid(form.epsMin, form.epsMax, form.points),
    steps: form.steps,
    stepFactor: form.stepFactor,
    randomStart: form.randomStart,
    minimalEps: form.minimalEps,
    seed: form.seed
  }
}

/** Table rows: per image, each model's smallest flipping ε as text. */
export function minimalEpsText(result: Pick<EvaluateResult, 'minimalEps' | 'epsList'> | undefined, image: number): string {
  if (!result || !result.minimalEps) return '—'
  const v = result.minimalEps[image]
  if (v === null || v === undefined) return `> ${fmt(Math.max(...result.epsList))}`
  if (v === 0) return '0 (wrong when clean)'
  return fmt(v)
}

export class CurveState {
  form = $state<CurveForm>(defaultCurveForm(undefined))
  /** Labels the user picked, by image id. */
  userLabels = $state<Record<string, number>>({})
  /** The standard model's clean top-1 per image id, filled by a predict job when needed. */
  predicted = $state.raw<Record<string, number>>({})

  setUserLabel(id: string, label: number | null): void {
    const next = { ...this.userLabels }
    if (label === null) delete next[id]
    else next[id] = label
    this.userLabels = next
  }

  resetFor(model: Pick<ModelInfo, 'input'> | undefined): void {
    this.form = defaultCurveForm(model, this.form.threat)
  }
}

/** One chart for both models: accuracy (solid) and mean p(true) (dashed) against ε (log-spaced categories). */
export function curveChartConfig(
  lines: { label: string; color: string; result: Pick<EvaluateResult, 'epsList' | 'accuracy' | 'meanTrueProb'> }[],
  threat: 'l2' | 'linf'
): ChartConfiguration<'line'> {
  const epsList = lines[0]?.result.epsList ?? []
  const datasets: ChartConfiguration<'line'>['data']['datasets'] = []
  for (const l of lines) {
    datasets.push({ label: `${l.label} accuracy`, data: l.result.accuracy, borderColor: l.color, backgroundColor: l.color, borderWidth: 2, pointRadius: 3 })
    datasets.push({ label: `${l.label} mean p(true)`, data: l.result.meanTrueProb, borderColor: l.color, backgroundColor: l.color, borderDash: [5, 4], borderWidth: 1.5, pointRadius: 2 })
  }
  return {
    type: 'line',
    data: { labels: epsList.map((e) => fmt(e)), datasets },
    options: {
      plugins: {
        title: { display: true, text: `Accuracy under ${threat === 'l2' ? 'L2' : 'L∞'} PGD against ε`, color: CHART_TEXT },
        legend: { position: 'bottom', labels: { boxWidth: 12, color: CHART_TEXT } }
      },
      scales: { x: axis(`ε (${threat === 'l2' ? 'L2' : 'L∞'}, log-spaced; 0 = clean)`), y: { min: 0, max: 1, ...axis('accuracy / mean p(true)') } }
    }
  }
}
