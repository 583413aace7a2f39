/**
 * Each exercise's promise checked against what the run produced, so "what to look for" never claims a picture the
 * screen does not show: III — the standard model reaches the target; IV — the robust model resists (p(target)
 * stays below 50 %); V — a visible morph toward the target on the robust model; VI.2 and the bonuses — the
 * coordinate's activation rises on both models. `ok` false comes with an honest line saying what happened instead.
 * Saliency exercises (I, II, VI.1) promise a look, not a number: no check.
 */
import type { AttackResult, FeatureVizResult, MethodResult } from '../../../shared/jobs'
import type { ModelInfo } from '../../../shared/model-format'
import type { Exercise } from './exercises'
import { fmt } from './format'
import { formatProbability, top1 } from './predictions'

export interface Outcome {
  ok: boolean
  text: string
}

export interface SideResult {
  role: 'standard' | 'robust'
  model: ModelInfo
  result: MethodResult
}

/** A visible change: RMS perturbation per value at least this (≈ 10/255). */
export const VISIBLE_RMS = 0.04

const name = (model: ModelInfo, i: number | null): string => (i === null ? '—' : (model.classes[i] ?? String(i)))

/** Highest p(target) of image 0 over every recorded step. */
export const peakTarget = (r: AttackResult): number => Math.max(0, ...r.telemetry.map((t) => t.pTarget[0] ?? 0))

/** RMS of image 0's perturbation per value. */
export function rmsPerValue(r: AttackResult): number {
  const per = r.shape[1] * r.shape[2] * r.shape[3]
  let sum = 0
  for (let i = 0; i < per; i++) sum += r.perturbation[i] * r.perturbation[i]
  return Math.sqrt(sum / per)
}

function side<M extends MethodResult['method']>(results: readonly SideResult[], role: 'standard' | 'robust', method: M): { model: ModelInfo; result: Extract<MethodResult, { method: M }> } | null {
  const s = results.find((r) => r.role === role && r.result.method === method)
  return s ? { model: s.model, result: s.result as Extract<MethodResult, { method: M }> } : null
}

function reached(model: ModelInfo, r: AttackResult): string {
  const after = top1(r.after, 0)
  return `reached “${name(model, r.targetClass)}” at step ${r.flippedAt[0]} (now ${name(model, after.index)} ${formatProbability(after.p)})`
}

export function checkOutcome(exercise: Exercise, results: readonly SideResult[]): Outcome | null {
  switch (exercise.id) {
    case 'III': {
      const s = side(results, 'standard', 'attack')
      if (!s) return null
      const target = name(s.model, s.result.targetClass)
      return s.result.flippedAt[0] !== null
        ? { ok: true, text: `The standard model ${reached(s.model, s.result)}: a change you can barely see moved it to the target.` }
        : { ok: false, text: `The standard model did not reach “${target}” within this budget (p(target) peaked at ${formatProbability(peakTarget(s.result))}). Try more steps, a larger ε or another image.` }
    }
    case 'IV': {
      const s = side(results, 'robust', 'attack')
      if (!s) return null
      const target = name(s.model, s.result.targetClass)
      const peak = peakTarget(s.result)
      const std = side(results, 'standard', 'attack')
      const contrast = std ? ` The standard model, same attack: ${std.result.flippedAt[0] !== null ? reached(std.model, std.result) : `did not reach it either (p(target) peaked at ${formatProbability(peakTarget(std.result))})`}.` : ''
      return s.result.flippedAt[0] === null && peak < 0.5
        ? { ok: true, text: `The robust model resisted: p(“${target}”) stayed below 50 % (peak ${formatProbability(peak)}) and it still predicts “${name(s.model, top1(s.result.after, 0).index)}”.${contrast}` }
        : { ok: false, text: `The robust model did not resist here: it ${s.result.flippedAt[0] !== null ? reached(s.model, s.result) : `got p(“${target}”) up to ${formatProbability(peak)}`} — at this ε its robustness is partial (see its accuracy under attack in About this pair).${contrast}` }
    }
    case 'V': {
      const s = side(results, 'robust', 'attack')
      if (!s) return null
      const target = name(s.model, s.result.targetClass)
      const rms = rmsPerValue(s.result)
      const visible = rms >= VISIBLE_RMS
      const hit = s.result.flippedAt[0] !== null
      return visible && hit
        ? { ok: true, text: `A visible morph: the robust model's image changed by RMS ${fmt(rms)} per value (${fmt(rms * 255)}/255) and it now predicts “${target}” — look for the target's features in the filmstrip.` }
        : { ok: false, text: `${hit ? `The robust model reached “${target}”` : `The robust model did not reach “${target}”`} with a change of RMS ${fmt(rms)} per value (${fmt(rms * 255)}/255)${visible ? '' : `, below the ${fmt(VISIBLE_RMS * 255)}/255 that is clearly visible`}; try more steps or a larger ε.` }
    }
    case 'VI.2':
    case 'bonus-I':
    case 'bonus-II': {
      const sides = (['standard', 'robust'] as const).flatMap((role) => {
        const s = side(results, role, 'featureViz')
        return s ? [{ role, r: s.result as FeatureVizResult }] : []
      })
      if (sides.length === 0) return null
      const rose = sides.map((s) => ({ ...s, up: s.r.activationEnd[0] > s.r.activationStart[0] && s.r.activationEnd[0] > 0 }))
      const text = rose.map((s) => `${s.role} r_${s.r.feature}: ${fmt(s.r.activationStart[0])} → ${fmt(s.r.activationEnd[0])}`).join('; ')
      return rose.every((s) => s.up)
        ? { ok: true, text: `The coordinate's activation rose on both models (${text}).` }
        : { ok: false, text: `The activation did not rise on ${rose.filter((s) => !s.up).map((s) => `the ${s.role} model`).join(' and ')} (${text}): a coordinate at 0 has no gradient — turn on fake ReLU or pick an active coordinate.` }
    }
    default:
      return null
  }
}
