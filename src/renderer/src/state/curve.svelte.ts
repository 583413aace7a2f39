/**
 * Robustness-curve state: a log-spaced ε grid, the evaluate request over the labelled images only (an unlabelled
 * photo has no accuracy), and the 95 % Wilson interval of each point.
 */
import type { ChartConfiguration } from 'chart.js'
import type { EvaluateParams, EvaluateResult } from '../../../shared/jobs'
import type { ModelInfo } from '../../../shared/model-format'
import { CHART_TEXT, axis } from '../lib/chart-style'
import { fmt } from '../lib/format'
import { labScale } from '../lib/eps'

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

/** The curve is drawn only over at least this many labelled images (fewer says how to add some instead). */
export const MIN_LABELLED = 5

/**
 * Wilson score interval (95 %, z = 1.96) for k successes out of n: unlike the normal approximation it stays inside
 * [0, 1] and is honest for small n and for accuracies near 0 or 1.
 */
export function wilson(k: number, n: number, z = 1.96): { lo: number; hi: number } {
  if (n <= 0) return { lo: 0, hi: 1 }
  const p = k / n
  const z2 = z * z
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n)
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / (1 + z2 / n)
  return { lo: Math.max(0, centre - half), hi: Math.min(1, centre + half) }
}

/** Per ε: accuracy with its Wilson interval over the n evaluated images. */
export function accuracyIntervals(result: Pick<EvaluateResult, 'accuracy'>, n: number): { acc: number; lo: number; hi: number }[] {
  return result.accuracy.map((acc) => ({ acc, ...wilson(Math.round(acc * n), n) }))
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
  /** What the last threat switch did (stated on screen). */
  note = $state('')

  resetFor(model: Pick<ModelInfo, 'input'> | undefined): void {
    this.form = defaultCurveForm(model, this.form.threat)
    this.note = ''
  }

  /** L2 ↔ L∞ resets the ε range to that threat's preset (a number is never reinterpreted under the other norm). */
  setThreat(threat: 'l2' | 'linf', model: Pick<ModelInfo, 'input'> | undefined): void {
    if (threat === this.form.threat) return
    const preset = defaultCurveForm(model, threat)
    this.form = { ...this.form, threat, epsMin: preset.epsMin, epsMax: preset.epsMax }
    this.note = `Switched to ${threat === 'l2' ? 'L2' : 'L∞'}: the ε range is that threat's preset, ${fmt(preset.epsMin)}–${fmt(preset.epsMax)}${threat === 'linf' ? ` (${fmt(preset.epsMin * 255)}/255–${fmt(preset.epsMax * 255)}/255 per value)` : ''}.`
  }
}

/** One chart for both models: accuracy (solid) and mean p(true) (dashed) against ε (log-spaced categories). */
export function curveChartConfig(
  lines: { label: string; color: string; result: Pick<EvaluateResult, 'epsList' | 'accuracy' | 'meanTrueProb'> }[],
  threat: 'l2' | 'linf',
  n = 0
): ChartConfiguration<'line'> {
  const epsList = lines[0]?.result.epsList ?? []
  const datasets: ChartConfiguration<'line'>['data']['datasets'] = []
  for (const l of lines) {
    if (n > 0) {
      // the 95 % Wilson band: lower bound, then the upper bound filled down to it
      const band = accuracyIntervals(l.result, n)
      datasets.push({ label: `${l.label} 95 % low`, data: band.map((b) => b.lo), borderColor: 'transparent', backgroundColor: 'transparent', pointRadius: 0 })
      datasets.push({ label: `${l.label} 95 % interval (n = ${n})`, data: band.map((b) => b.hi), borderColor: 'transparent', backgroundColor: `${l.color}26`, pointRadius: 0, fill: '-1' })
    }
    datasets.push({ label: `${l.label} accuracy`, data: l.result.accuracy, borderColor: l.color, backgroundColor: l.color, borderWidth: 2, pointRadius: 3 })
    datasets.push({ label: `${l.label} mean p(true)`, data: l.result.meanTrueProb, borderColor: l.color, backgroundColor: l.color, borderDash: [5, 4], borderWidth: 1.5, pointRadius: 2 })
  }
  return {
    type: 'line',
    data: { labels: epsList.map((e) => fmt(e)), datasets },
    options: {
      plugins: {
        title: { display: true, text: `Accuracy under ${threat === 'l2' ? 'L2' : 'L∞'} PGD against ε${n > 0 ? ` (n = ${n} labelled images per point, 95 % Wilson band)` : ''}`, color: CHART_TEXT },
        legend: { position: 'bottom', labels: { boxWidth: 12, color: CHART_TEXT, filter: (item) => !item.text.endsWith('95 % low') } }
      },
      scales: { x: axis(`ε (${threat === 'l2' ? 'L2' : 'L∞'}, log-spaced; 0 = clean)`), y: { min: 0, max: 1, ...axis('accuracy / mean p(true)') } }
    }
  }
}
