/**
 * A view's saved parameters (settings.views[view], and what an experiment card restores) checked with the same
 * schemas and ranges the jobs use (src/shared/jobs.ts): a view's form is its method's parameters, so `standard.eps`
 * of the attack view is AttackParamsSchema's `eps`. Own keys only; an unknown view or a value outside its field's
 * range is refused with a message naming the parameter, before anything is applied or saved.
 */
import { z } from 'zod'
import { AttackParamsSchema, EvaluateParamsSchema, FeatureVizParamsSchema, SaliencyParamsSchema, SmoothingSchema, ThreatSchema } from '../../../shared/jobs'
import { PRESET_IDS } from '../../../shared/presets'
import type { ViewParams } from '../state/settings.svelte'

type Fields = Record<string, z.ZodType>

const smoothgrad = SmoothingSchema.options[1].shape
const unit = z.number().min(0).max(1)
const attackFields: Fields = { ...AttackParamsSchema.shape, preset: z.enum(['lab-exact', 'evaluation', 'custom']), presetNote: z.string().max(256) }
const { method: _a, ...attack } = attackFields
const { method: _f, ...featureviz } = FeatureVizParamsSchema.shape as Fields
const { method: _s, smoothing: _smoothing, ...saliency } = SaliencyParamsSchema.shape as Fields

/** Per view: the schema of each parameter (a `<role>.` prefix is stripped first). Keys not listed are display state. */
const VIEW_FIELDS: Record<string, Fields> = {
  saliency: {
    ...saliency,
    smoothing: z.enum(['none', 'smoothgrad', 'smoothgrad2', 'vargrad']),
    samples: smoothgrad.samples,
    sigma: smoothgrad.sigma,
    clipNoisy: z.boolean(),
    preset: z.enum(PRESET_IDS as unknown as [string, ...string[]]),
    opacity: unit,
    linked: z.boolean()
  },
  attack: { ...attack, linked: z.boolean() },
  'large-eps': { ...attack, linked: z.boolean() },
  featureviz: { ...featureviz, linked: z.boolean() },
  curve: {
    threat: ThreatSchema,
    epsMin: z.number().min(0).max(10000),
    epsMax: z.number().min(0).max(10000),
    points: z.number().int().min(2).max(64), // EvaluateParamsSchema's epsList holds at most 64 ε
    steps: EvaluateParamsSchema.shape.steps,
    stepFactor: EvaluateParamsSchema.shape.stepFactor,
    randomStart: z.boolean(),
    minimalEps: z.boolean(),
    seed: EvaluateParamsSchema.shape.seed
  },
  app: { view: z.string().max(64) }
}

/** At most this many parameters per view (the largest view record, the saliency view's, has 23). */
export const MAX_VIEW_KEYS = 64

export const isKnownView = (view: string): boolean => Object.hasOwn(VIEW_FIELDS, view)

/** Throws an Error naming the first parameter that the view's schemas refuse. */
export function checkViewRecord(view: string, record: Readonly<Record<string, unknown>>): ViewParams {
  if (!isKnownView(view)) throw new Error(`unknown view '${view}'`)
  const keys = Object.keys(record)
  if (keys.length > MAX_VIEW_KEYS) throw new Error(`${keys.length} parameters for the ${view} view (at most ${MAX_VIEW_KEYS})`)
  const fields = VIEW_FIELDS[view]
  const out: ViewParams = {}
  for (const key of keys) {
    const value = record[key]
    const field = key.replace(/^(standard|robust)\./, '')
    const schema = Object.hasOwn(fields, field) ? fields[field] : z.union([z.number(), z.string().max(256), z.boolean(), z.null()])
    const parsed = schema.safeParse(value)
    if (!parsed.success) throw new Error(`parameter ${key} = ${JSON.stringify(value)?.slice(0, 40)}: ${parsed.error.issues[0].message}`)
    out[key] = value as ViewParams[string]
  }
  return out
}
