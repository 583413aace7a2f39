/**
 * Parameters of a side-by-side view: one record per model role, linked by default (a change on either side applies
 * to both), unlinkable (then each side keeps its own values and the view runs one job per model).
 * The side-by-side kit (this folder) is shared by every view: attack, large ε, feature visualization, curve.
 */
import type { ModelInfo } from '../../../../shared/model-format'

export type { Role } from '../../lib/roles'
import type { Role } from '../../lib/roles'
export const ROLES: readonly Role[] = ['standard', 'robust']

/** The selected pair as the views see it; either side may be missing (only one model installed). */
export interface PairModels {
  standard?: ModelInfo
  robust?: ModelInfo
}

export const pairRoles = (pair: PairModels): Role[] => ROLES.filter((r) => pair[r] !== undefined)

export class LinkedParams<P extends object> {
  linked = $state(true)
  standard: P = $state() as P
  robust: P = $state() as P

  constructor(initial: P) {
    this.standard = { ...initial }
    this.robust = { ...initial }
  }

  get(role: Role): P {
    return role === 'standard' ? this.standard : this.robust
  }

  /** Set one parameter: on both sides when linked, else only on `role`. */
  set<K extends keyof P>(role: Role, key: K, value: P[K]): void {
    for (const r of this.linked ? ROLES : [role]) this.get(r)[key] = value
  }

  /** Apply a preset (a partial parameter record) to both sides, or one side when `role` is given. */
  apply(patch: Partial<P>, role?: Role): void {
    for (const r of role ? [role] : ROLES) Object.assign(this.get(r), patch)
  }

  /** Re-linking copies `from`'s values to the other side so linked sides never disagree. */
  setLinked(linked: boolean, from: Role = 'standard'): void {
    this.linked = linked
    if (linked) {
      const other: Role = from === 'standard' ? 'robust' : 'standard'
      Object.assign(this.get(other), $state.snapshot(this.get(from)))
    }
  }

  /** Flat record for settings.views[view] and experiment cards: `linked` plus `<role>.<key>`. */
  toRecord(): Record<string, number | string | boolean | null> {
    const record: Record<string, number | string | boolean | null> = { linked: this.linked }
    for (const r of ROLES) for (const [k, v] of Object.entries(this.snapshot(r) as object)) record[`${r}.${k}`] = v as number | string | boolean | null
    return record
  }

  /**
   * Restore from a record written by toRecord. Keys unknown to `defaults`, or whose type differs from the
   * default's (a number or null where the default is null: an unset class), are ignored.
   */
  restore(record: Readonly<Record<string, unknown>>, defaults: P): void {
    if (typeof record.linked === 'boolean') this.linked = record.linked
    for (const r of ROLES) {
      const target = this.get(r) as Record<string, unknown>
      for (const [key, fallback] of Object.entries(defaults)) {
        const v = record[`${r}.${key}`]
        if (v === undefined) continue
        if (v === null ? fallback === null : typeof v === typeof fallback || (fallback === null && typeof v === 'number')) target[key] = v
      }
    }
  }

  /** A plain copy of one side (what goes into a job request). */
  snapshot(role: Role): P {
    return $state.snapshot(this.get(role)) as P
  }
}

