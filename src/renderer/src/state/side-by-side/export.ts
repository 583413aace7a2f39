/** Export snapshots (PNG panels, card parameters, telemetry CSV) of the attack-family views. */
import type { AttackResult, FeatureVizResult, StepTelemetry } from '../../../../shared/jobs'
import type { ModelInfo } from '../../../../shared/model-format'
import type { ExportImage, ExportPanel, ExportSnapshot } from '../../lib/export'
import { rgbFloatToRgba } from '../../lib/resize'
import { amplify, flipText, type AttackForm, type AttackState } from '../attack.svelte'
import { top1 } from '../../lib/predictions'
import type { FeatureVizForm } from '../featureviz.svelte'
import { type Role } from './linked.svelte'
import { fmt } from '../../lib/format'
import type { SideBySide } from './side-by-side.svelte'

type Flat = ExportSnapshot['params']

const image = (caption: string, data: Float32Array, model: ModelInfo, offset = 0): ExportImage => ({
  caption,
  rgba: rgbFloatToRgba(data, model.input.height, model.input.width, offset),
  width: model.input.width,
  height: model.input.height
})

export function attackStamp(form: AttackForm, model: ModelInfo | undefined, note: string): string {
  const target = form.targeted ? ` targeted → ${model?.classes[form.targetClass ?? 0] ?? form.targetClass}` : ' untargeted'
  return (
    `PGD ${form.threat === 'l2' ? 'L2' : 'L∞'} ε ${fmt(form.eps)}, step ${fmt(form.stepSize)}, ${form.steps} steps,${target}, ` +
    `random start ${form.randomStart ? 'on' : 'off'}, ${form.useBest ? 'best' : 'last'} iterate, ${form.restarts} restarts, seed ${form.seed}` +
    (note ? ` · ${note}` : '')
  )
}

export interface SideEntry<R> {
  role: Role
  model: ModelInfo
  result: R
  sent: Float32Array | null
}

export function attackSnapshot(view: string, entries: SideEntry<AttackResult>[], form: AttackForm | undefined, params: Flat, preset: string | null, note: string): ExportSnapshot | null {
  if (entries.length === 0 || !form) return null
  const panels: ExportPanel[] = entries.map(({ role, model, result, sent }) => {
    const per = model.input.height * model.input.width * 3
    const delta = amplify(result.perturbation, 0, per)
    const before = top1(result.before, 0)
    const after = top1(result.after, 0)
    const images: ExportImage[] = []
    if (sent) images.push(image('original', sent, model))
    images.push(image('adversarial', result.adversarial, model))
    images.push(image(`δ × ${fmt(delta.factor)} + 0.5`, delta.pixels, model))
    return {
      title: `${role} · ${model.id}`,
      images,
      notes: [
        flipText(result, 0, model.classes),
        `${model.classes[before.index]} ${fmt(before.p * 100)}% → ${model.classes[after.index]} ${fmt(after.p * 100)}%`
      ]
    }
  })
  return {
    view,
    params,
    preset,
    seed: form.seed,
    stamp: attackStamp(form, entries[0].model, note),
    panels,
    telemetry: Object.fromEntries(entries.map((e) => [e.model.id, e.result.telemetry]))
  }
}

/** The attack preset as settings and cards keep it (the note capped at 250 characters). */
export const attackPresetRecord = (attack: Pick<AttackState, 'preset' | 'presetNote' | 'pinned'>): Flat => ({
  preset: attack.preset,
  presetNote: attack.presetNote.slice(0, 250),
  pinned: attack.pinned
})

/** An attack view's snapshot: each side's result, the parameters the first side ran with, the current parameters. */
export function attackViewSnapshot(view: string, side: SideBySide<AttackForm>, attack: AttackState): ExportSnapshot | null {
  const params = { ...attack.params.toRecord(), ...attackPresetRecord(attack) }
  // preset null: a card's preset is the visualization preset (settings.preset); the attack preset travels in params
  return attackSnapshot(view, side.entries('attack'), side.ranWith[side.roles[0]], params, null, attack.presetNote)
}

export function featureVizSnapshot(entries: SideEntry<FeatureVizResult>[], form: FeatureVizForm | undefined, params: Flat, note: string): ExportSnapshot | null {
  if (entries.length === 0 || !form) return null
  const panels: ExportPanel[] = entries.map(({ role, model, result, sent }) => ({
    title: `${role} · ${model.id}`,
    images: [...(sent && form.start === 'image' ? [image('start', sent, model)] : []), image(`maximizing r_${result.feature}`, result.images, model)],
    notes: [`r_${result.feature}: ${fmt(result.activationStart[0])} → ${fmt(result.activationEnd[0])}`]
  }))
  const stamp =
    `Feature visualization r_${form.feature}: L2 ε ${fmt(form.eps)}, step ${fmt(form.stepSize)}, ${form.steps} steps, start ${form.start}` +
    `${form.start === 'noise' ? ` σ ${fmt(form.noiseSigma)}` : ''}, fake ReLU ${form.fakeRelu ? 'on' : 'off'}, seed ${form.seed}${note ? ` · ${note}` : ''}`
  const telemetry: Record<string, StepTelemetry[]> = Object.fromEntries(entries.map((e) => [e.model.id, e.result.telemetry]))
  return { view: 'featureviz', params, preset: null, seed: form.seed, stamp, panels, telemetry }
}
