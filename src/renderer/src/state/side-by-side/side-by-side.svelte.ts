/**
 * The wiring every side-by-side view repeats: the selected pair and its roles (in the view's order), the runs,
 * the parameters each side last ran with (the panels keep showing them while the sliders move), and each side's
 * result for export. Create during component initialisation.
 */
import type { ImageBatch } from '../../../../shared/images'
import type { JobRequestInput, Method, ResultFor } from '../../../../shared/jobs'
import type { ModelInfo } from '../../../../shared/model-format'
import { sideBySideRequests } from './requests'
import type { ViewProps } from '../workbench'
import type { SideEntry } from './export'
import { pairRoles, type LinkedParams, type PairModels, type Role } from './linked.svelte'
import { SideRuns } from './side-runs.svelte'

/**
 * A side-by-side view's props: ViewProps plus, under `key`, the view's parameters when an exercise passes its own
 * (with a preset applied; not persisted). Without them the view keeps its own, restored from and saved to settings.
 */
export type SideViewProps<K extends string, S> = ViewProps & Partial<Record<K, S>>

export class SideBySide<F extends object = object> {
  readonly runs: SideRuns
  readonly pair: PairModels
  /** The pair's roles in display order. */
  readonly roles: Role[]
  /** The model of the first role (the one the presets scale to). */
  readonly first: ModelInfo | undefined
  ranWith = $state.raw<Partial<Record<Role, F>>>({})

  /**
   * @param pair the selected pair (read reactively)
   * @param opts `jobs`: how many jobs may run at once (2: one per model when unlinked); `order`: display order
   */
  constructor(pair: () => PairModels | null, opts: { jobs?: number; order?: (roles: Role[]) => Role[] } = {}) {
    const order = opts.order ?? ((roles) => roles)
    this.runs = new SideRuns(opts.jobs)
    this.pair = $derived(pair() ?? {})
    this.roles = $derived(order(pairRoles(this.pair)))
    this.first = $derived(this.pair[this.roles[0]])
  }

  /** The parameters `role` ran with, else (nothing run yet) its current ones. */
  formFor(role: Role, params: LinkedParams<F>): F {
    return this.ranWith[role] ?? params.get(role)
  }

  /**
   * Run `params` on the pair: one twin job when linked and the inputs match, else one job per model. Answers
   * whether every job finished.
   */
  async run(params: LinkedParams<F>, batchFor: (model: ModelInfo) => ImageBatch, toMethod: (form: F, model: ModelInfo) => JobRequestInput['params']): Promise<boolean> {
    const jobs = sideBySideRequests(this.pair, params, batchFor, toMethod)
    this.ranWith = Object.fromEntries(this.roles.map((r) => [r, params.snapshot(r)]))
    return this.runs.runAll(jobs.map((j) => j.request))
  }

  /** Each side that has a result of `method`, with the image batch it was sent. */
  entries<M extends Method>(method: M): SideEntry<ResultFor<M>>[] {
    return this.roles.flatMap((role) => {
      const model = this.pair[role]
      const result = model ? this.runs.result(model.id, method) : null
      return model && result ? [{ role, model, result, sent: this.runs.images(model.id)?.data ?? null }] : []
    })
  }
}
