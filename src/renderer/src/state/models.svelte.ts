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

export function groupPairs(models: readonly ModelInfo[]): ModelPair[] {
  const pairs = new Map<string, ModelPair>()
  for (const m of models) {
    const pair = pairs.get(m.pair) ?? { id: m.pair }
    // the first model of a role wins; a second one with the same role is ignored (models:list order is stable)
    if (!pair[m.role]) pair[m.role] = m
    pairs.set(m.pair, pair)
  }
  return [...pairs.values()].sort((a, b) => a.id.localeCompare(b.id))
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
