/**
 * ε scales (science.md §8): carrying the lab's 224² numbers to a model's input size, the per-value size of a
 * perturbation budget, and converting a budget between L2 and L∞ at the same RMS change per value.
 */
import type { ModelInfo } from '../../../shared/model-format'
import { fmt } from './format'


/** The lab's defaults are for 224×224 inputs. */
export const LAB_SIDE = 224

/** Number of input values d = 3·H·W. */
export const inputDims = (model: Pick<ModelInfo, 'input'>): number => 3 * model.input.height * model.input.width

/**
 * RMS-preserving factor carrying a 224² ε or step to this model's input size: √(d / d₂₂₄).
 * 32×32 → 1/7 (science.md §8).
 */
export function labScale(model: Pick<ModelInfo, 'input'> | undefined): number {
  if (!model) return 1
  return Math.sqrt(inputDims(model) / (3 * LAB_SIDE * LAB_SIDE))
}

/** The threat models as radio choices. */
export const THREAT_CHOICES: readonly { value: 'l2' | 'linf'; text: string }[] = [
  { value: 'l2', text: 'L2' },
  { value: 'linf', text: 'L∞' }
]

/** Per-value RMS change of an L2 perturbation of norm ε: ε/√d. */
export const rmsPerValue = (eps: number, model: Pick<ModelInfo, 'input'>): number => eps / Math.sqrt(inputDims(model))

/** "ε 0.18 → RMS 0.0032 per value (0.82/255)" style text for a slider. */
export function epsHint(eps: number, threat: 'l2' | 'linf', model: Pick<ModelInfo, 'input'> | undefined): string {
  if (!model) return ''
  if (threat === 'linf') return `${fmt(eps * 255)}/255 per value; L2 up to ${fmt(eps * Math.sqrt(inputDims(model)))}`
  const rms = rmsPerValue(eps, model)
  const inactive = eps >= Math.sqrt(inputDims(model)) ? ' — ball inactive (ε ≥ √d)' : ''
  return `RMS ${fmt(rms)} per value (${fmt(rms * 255)}/255)${inactive}`
}

/**
 * The same RMS change per value under the other threat: an L2 budget ε spreads as ε/√d per value, an L∞ budget ε
 * changes every value by up to ε. So L2 → L∞ divides by √d and L∞ → L2 multiplies by it (the step alike).
 */
export function convertBudget(value: number, from: 'l2' | 'linf', to: 'l2' | 'linf', model: Pick<ModelInfo, 'input'>): number {
  if (from === to) return value
  const root = Math.sqrt(inputDims(model))
  return Number((from === 'l2' ? value / root : value * root).toPrecision(4))
}
