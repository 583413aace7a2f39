/** Persisted user settings: schema with defaults. Main validates every write; a corrupt file is reset to these. */
import { z } from 'zod'

/** Views with a saved record (the app has seven; an eighth key per future view fits). */
export const MAX_SAVED_VIEWS = 16
/** Parameters in one view's record (the largest, the saliency view's, has 23). */
export const MAX_VIEW_KEYS = 64
/**
 * The whole settings file as JSON. Typical files are ~3 KB; every write rewrites the file, so a 32 MB record (an
 * opened experiment card) made each later change take 1.5 s. A file over this is treated as corrupt.
 */
export const MAX_SETTINGS_BYTES = 64 * 1024

const viewRecord = z
  .record(z.string().max(64), z.union([z.number(), z.string().max(256), z.boolean(), z.null()]))
  .refine((r) => Object.keys(r).length <= MAX_VIEW_KEYS, `a view record holds at most ${MAX_VIEW_KEYS} parameters`)

/**
 * Compute backends, in the engine's default order of preference (src/main/engine/backends/registry.ts): the native
 * TF.js bindings when the user installed them, ONNX Runtime (native CPU, bundled), TF.js wasm, TF.js cpu.
 */
export const COMPUTE_BACKENDS = ['tensorflow-gpu', 'tensorflow', 'onnxruntime', 'wasm', 'cpu'] as const
export type ComputeBackend = (typeof COMPUTE_BACKENDS)[number]

const fields = {
  theme: z.enum(['system', 'light', 'dark']),
  /** Compute workers; null = derived from the cores available (at least 1). */
  workers: z.number().int().min(1).max(32).nullable(),
  /** wasm threads per compute worker; null = derived from the cores and the workers (src/main/compute/layout.ts). */
  threads: z.number().int().min(1).max(8).nullable(),
  /** Compute backend: 'auto' = the first of COMPUTE_BACKENDS that starts and passes its check; a name = that one first. */
  backend: z.enum(['auto', ...COMPUTE_BACKENDS]),
  /** Visualization preset id (src/shared/presets.ts). */
  preset: z.string().max(64),
  /** Last parameters per view, as the view stored them. */
  views: z.record(z.string().max(64), viewRecord).refine((v) => Object.keys(v).length <= MAX_SAVED_VIEWS, `at most ${MAX_SAVED_VIEWS} views are saved`),
  /** Link parameters of the standard and robust panels. */
  linked: z.boolean(),
  /** Last selected model pair. */
  pair: z.string().max(128).nullable()
}

const withinSize = (settings: unknown): boolean => JSON.stringify(settings).length <= MAX_SETTINGS_BYTES

export const SettingsSchema = z
  .object({
    theme: fields.theme.default('system'),
    workers: fields.workers.default(null),
    threads: fields.threads.default(null),
    backend: fields.backend.default('auto'),
    preset: fields.preset.default('lab'),
    views: fields.views.default({}),
    linked: fields.linked.default(true),
    pair: fields.pair.default(null)
  })
  .refine(withinSize, `settings larger than ${MAX_SETTINGS_BYTES / 1024} KiB`)

export type Settings = z.infer<typeof SettingsSchema>
// built from the fields without defaults: zod 4's .partial() keeps .default(), which would turn every patch into
// a full reset of the keys it does not name
export const SettingsPatchSchema = z.object(fields).partial().strict().refine(withinSize, `settings larger than ${MAX_SETTINGS_BYTES / 1024} KiB`)
export type SettingsPatch = z.infer<typeof SettingsPatchSchema>
export const defaultSettings = (): Settings => SettingsSchema.parse({})
