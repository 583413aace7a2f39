/** Persisted user settings: schema with defaults. Main validates every write; a corrupt file is reset to these. */
import { z } from 'zod'

export const SettingsSchema = z.object({
  theme: z.enum(['system', 'light', 'dark']).default('system'),
  /** Compute workers; null = derived from the cores available (at least 1). */
  workers: z.number().int().min(1).max(32).nullable().default(null),
  /** Visualization preset id (src/shared/presets.ts). */
  preset: z.string().max(64).default('lab'),
  /** Last parameters per view, as the view stored them. */
  views: z.record(z.string().max(64), z.record(z.string().max(64), z.union([z.number(), z.string().max(256), z.boolean(), z.null()]))).default({}),
  /** Link parameters of the standard and robust panels. */
  linked: z.boolean().default(true),
  /** Last selected model pair. */
  pair: z.string().max(128).nullable().default(null)
})

export type Settings = z.infer<typeof SettingsSchema>
export const SettingsPatchSchema = SettingsSchema.partial().strict()
export type SettingsPatch = z.infer<typeof SettingsPatchSchema>
export const defaultSettings = (): Settings => SettingsSchema.parse({})
