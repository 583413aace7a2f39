/**
 * The models on disk, grouped into pairs by ModelInfo.pair (role standard / robust), the selected pair, and the
 * app's backend / worker count. A pair may hold only one model: views then run on that one.
 */
import type { AppInfo } from '../../../shared/ipc'
import type { ModelInfo } from '../../../shared/model-format'
import { errorMessage } from './images.svelte'

export type Role = 'standard' | 'robust'
export const ROLES: readonly Role[] = ['standard', 'robust']

export interface ModelPair {
  id: string
  standard?: ModelInfo
  robust?: ModelInfo
}

/**
 * Pairs by ModelInfo.pair: one standard model with each robust model of the same pair (a pair folder may ship
 * several robust models, e.g. L2 ε = 0.5 and 1.0). The first robust model (by id) keeps the plain pair id; each
 * further one is offered as its own pair "<pair> · <robust id>". Pairs sorted by id.
 */
export function groupPairs(models: readonly ModelInfo[]): ModelPair[] {
  const groups = new Map<string, { standard?: ModelInfo; robust: ModelInfo[] }>()
  for (const m of models) {
    const group = groups.get(m.pair) ?? { robust: [] }
    // the first standard model wins; models:list order is stable
    if (m.role === 'standard') group.standard ??= m
    else group.robust.push(m)
    groups.set(m.pair, group)
  }
  const pairs: ModelPair[] = []
  for (const [id, group] of groups) {
    const robust = [...group.robust].sort((a, b) => a.id.localeCompare(b.id))
    if (robust.length === 0) pairs.push({ id, standard: group.standard })
    robust.forEach((r, i) => pairs.push({ id: i === 0 ? id : `${id} · ${r.id}`, standard: group.standard, robust: r }))
  }
  return pairs.sort((a, b) => a.id.localeCompare(b.id))
}

/** A pair's dataset and input size, e.g. "CIFAR-10 · 32×32": the model card's dataset name up to its first parenthesis. */
export function pairGroup(pair: ModelPair): string {
  const m = pair.standard ?? pair.robust
  if (!m) return 'other'
  const dataset = m.training.dataset.split(' (')[0].trim() || 'unknown dataset'
  return `${dataset} · ${m.input.height}×${m.input.width}`
}

/** The pair picker's option groups: pairs by dataset and input size, groups and pairs in id order (the default first). */
export function groupedPairs(pairs: readonly ModelPair[]): { group: string; pairs: ModelPair[] }[] {
  const groups = new Map<string, ModelPair[]>()
  for (const pair of pairs) {
    const group = pairGroup(pair)
    groups.set(group, [...(groups.get(group) ?? []), pair])
  }
  return [...groups].map(([group, list]) => ({ group, pairs: list }))
}

/** What the pair picker shows: the pair id and the roles, with the robust model's training budget. */
export function pairLabel(pair: ModelPair): string {
  const t = pair.robust?.training
  const robust = pair.robust ? `robust${t && t.threat !== 'none' ? ` ${t.threat.toUpperCase()} ε=${t.eps}` : ''}` : null
  return `${pair.id} (${[pair.standard ? 'standard' : null, robust].filter(Boolean).join(' + ')})`
}

export class ModelsState {
  models = $state.raw<ModelInfo[]>([])
  info = $state.raw<AppInfo | null>(null)
  pairId = $state<string | null>(null)
  /** True until the first load() has answered (and during later loads). */
  loading = $state(true)
  error = $state<string | null>(null)

  readonly pairs: ModelPair[] = $derived(groupPairs(this.models))
  readonly pair: ModelPair | null = $derived(this.pairs.find((p) => p.id === this.pairId) ?? this.pairs[0] ?? null)
  /** The selected pair's models, standard first; one or two. */
  readonly pairModels: ModelInfo[] = $derived(this.pair ? ROLES.flatMap((r) => (this.pair?.[r] ? [this.pair[r]] : [])) : [])
  readonly modelIds: string[] = $derived(this.pairModels.map((m) => m.id))
  /** Input size of the pair (both models of a pair share it; the first model decides). */
  readonly inputSize: { height: number; width: number } | null = $derived(
    this.pairModels[0] ? { height: this.pairModels[0].input.height, width: this.pairModels[0].input.width } : null
  )

  /** Fetch app:info and models:list; keep `preferredPair` selected when it exists. */
  async load(preferredPair: string | null = null): Promise<void> {
    this.loading = true
    this.error = null
    try {
      const [info, models] = await Promise.all([window.api.invoke('app:info'), window.api.invoke('models:list')])
      this.info = info
      this.models = models
      if (preferredPair && this.pairs.some((p) => p.id === preferredPair)) this.pairId = preferredPair
      else if (!this.pairs.some((p) => p.id === this.pairId)) this.pairId = this.pairs[0]?.id ?? null
    } catch (err) {
      this.error = `could not load the models: ${errorMessage(err)}`
    } finally {
      this.loading = false
    }
  }

  /** Re-read app:info (the worker count changes when the setting does). */
  async refreshInfo(): Promise<void> {
    try {
      this.info = await window.api.invoke('app:info')
    } catch (err) {
      this.error = `could not read the app info: ${errorMessage(err)}`
    }
  }

  selectPair(id: string): void {
    if (this.pairs.some((p) => p.id === id)) this.pairId = id
  }

  model(id: string): ModelInfo | undefined {
    return this.models.find((m) => m.id === id)
  }

  roleOf(id: string): Role | undefined {
    return this.model(id)?.role
  }
}
