/**
 * Settings and export wiring shared by the attack-family views: restore the last parameters from
 * settings.views[view] (also how an opened experiment card restores them), save them back on change, let the
 * model-dependent defaults follow the model, and register the view's export snapshot while it is shown. Call
 * during component initialisation.
 */
import { untrack } from 'svelte'
import type { SettingsState } from '../settings.svelte'
import type { ExportHub } from '../export.svelte'
import type { ExportSnapshot } from '../../lib/export'
import type { ModelInfo } from '../../../../shared/model-format'
import type { AttackForm, AttackPresetId, AttackState } from '../attack.svelte'
import { attackPresetRecord } from './export'
import type { LinkedParams } from './linked.svelte'

type Flat = Record<string, number | string | boolean | null>

/**
 * Restore a view's saved record once (when there is one), then save `record()` back whenever it changes. Answers
 * whether a saved record was restored (then it wins over the model-dependent defaults).
 */
export function persistRecord(opts: {
  view: string
  settings: SettingsState | undefined
  record: () => Flat
  restore: (saved: Readonly<Record<string, unknown>>) => void
}): boolean {
  const { view, settings } = opts
  if (!settings) return false
  const saved = untrack(() => settings.viewParams(view))
  if (saved) untrack(() => opts.restore(saved))
  $effect(() => {
    const record = opts.record()
    untrack(() => {
      if (JSON.stringify(settings.viewParams(view)) !== JSON.stringify(record)) settings.setViewParams(view, record)
    })
  })
  return saved !== undefined
}

/** persistRecord for linked side-by-side parameters (`linked` + `<role>.<key>`), plus extra flat keys. */
export function persistView<P extends object>(opts: {
  view: string
  settings: SettingsState | undefined
  params: LinkedParams<P>
  defaults: P
  /** Extra flat keys saved with the parameters (e.g. the preset id). */
  extra?: () => Flat
  restoreExtra?: (record: Readonly<Record<string, unknown>>) => void
}): boolean {
  const { params, defaults } = opts
  return persistRecord({
    view: opts.view,
    settings: opts.settings,
    record: () => ({ ...params.toRecord(), ...(opts.extra?.() ?? {}) }),
    restore: (saved) => {
      params.restore(saved, defaults)
      opts.restoreExtra?.(saved)
    }
  })
}

const ATTACK_PRESETS: readonly string[] = ['lab-exact', 'evaluation', 'custom'] satisfies AttackPresetId[]

/** persistView for an attack view: its parameters plus the attack preset and its note. */
export function persistAttackView(view: string, settings: SettingsState | undefined, attack: AttackState, defaults: AttackForm): void {
  persistView({
    view,
    settings,
    params: attack.params,
    defaults,
    extra: () => attackPresetRecord(attack),
    restoreExtra: (r) => {
      if (typeof r.preset === 'string' && ATTACK_PRESETS.includes(r.preset)) attack.preset = r.preset as AttackPresetId
      if (typeof r.presetNote === 'string') attack.presetNote = r.presetNote
      if (typeof r.pinned === 'boolean') attack.pinned = r.pinned
    }
  })
}

/**
 * Apply the model-dependent defaults (the lab's numbers scaled to the input) once per new model: not while
 * `enabled()` is false, and not for the first model when `keepFirst()` (parameters restored from settings win).
 */
export function followModel(
  model: () => ModelInfo | undefined,
  apply: (model: ModelInfo) => void,
  opts: { enabled?: () => boolean; keepFirst?: () => boolean } = {}
): void {
  let appliedFor: string | null = null
  $effect(() => {
    const m = model()
    if (!m || appliedFor === m.id || opts.enabled?.() === false) return
    const first = appliedFor === null
    appliedFor = m.id
    if (first && opts.keepFirst?.()) return
    apply(m)
  })
}

/**
 * Call `changed` whenever the current image changes to another one (not for the image shown at initialisation):
 * image-dependent parameters (a true class, a target) reset there unless pinned.
 */
export function followImage(currentId: () => string | null, changed: () => void): void {
  let shown = untrack(currentId)
  $effect(() => {
    const id = currentId()
    if (id === shown) return
    shown = id
    untrack(changed)
  })
}

export function registerExport(exporter: ExportHub | undefined, snapshot: () => ExportSnapshot | null): void {
  if (!exporter) return
  $effect(() => exporter.register(snapshot))
}
