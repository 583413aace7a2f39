/**
 * Settings and export wiring shared by the attack-family views: restore the last parameters from
 * settings.views[view] (also how an opened experiment card restores them), save them back on change, and
 * register the view's export snapshot while it is shown. Call during component initialisation.
 */
import { untrack } from 'svelte'
import type { SettingsState } from '../../state/settings.svelte'
import type { ExportHub } from '../../state/export.svelte'
import type { ExportSnapshot } from '../../lib/export'
import type { LinkedParams } from './linked.svelte'

type Flat = Record<string, number | string | boolean | null>

export function persistView<P extends object>(opts: {
  view: string
  settings: SettingsState | undefined
  params: LinkedParams<P>
  defaults: P
  /** Extra flat keys saved with the parameters (e.g. the preset id). */
  extra?: () => Flat
  restoreExtra?: (record: Readonly<Record<string, unknown>>) => void
}): void {
  const { view, settings, params, defaults } = opts
  if (!settings) return
  untrack(() => {
    const saved = settings.viewParams(view)
    if (saved) {
      params.restore(saved, defaults)
      opts.restoreExtra?.(saved)
    }
  })
  $effect(() => {
    const record: Flat = { ...params.toRecord(), ...(opts.extra?.() ?? {}) }
    untrack(() => {
      if (JSON.stringify(settings.viewParams(view)) !== JSON.stringify(record)) settings.setViewParams(view, record)
    })
  })
}

export function registerExport(exporter: ExportHub | undefined, snapshot: () => ExportSnapshot | null): void {
  if (!exporter) return
  $effect(() => exporter.register(snapshot))
}
