/**
 * What main knows about models and samples on disk, read directly (no worker round trip): the model folders under
 * modelsDir (engine/models/format.ts scanModelFolders: model.json against ModelSpecSchema, weight files checked,
 * ids unique) and resources/samples/samples.json. Invalid entries are skipped with a warning, never fatal: one
 * broken model must not hide the others.
 */
import { readFile } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { z } from 'zod'
import type { SampleInfo } from '../shared/ipc'
import type { ModelInfo } from '../shared/model-format'
import { modelInfo, scanModelFolders } from './engine/models/format'

export type Warn = (message: string) => void

export async function listModels(modelsDir: string, warn: Warn = console.warn): Promise<ModelInfo[]> {
  const scan = await scanModelFolders(modelsDir)
  for (const problem of scan.problems) warn(problem)
  return scan.models.map(modelInfo)
}

const SampleInfoSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9._-]+$/),
  title: z.string(),
  /** Absent = null: entries written for per-dataset `labels` only may leave it out. */
  label: z.string().nullable().default(null),
  labels: z.record(z.string().regex(/^[a-z0-9]+$/, 'dataset keys: lowercase letters and digits'), z.string().min(1)).optional(),
  kind: z.enum(['photo', 'clipart']).optional(),
  source: z.string(),
  license: z.string()
}) satisfies z.ZodType<SampleInfo>

export async function listSamples(samplesDir: string, warn: Warn = console.warn): Promise<SampleInfo[]> {
  let raw: unknown
  try {
    raw = JSON.parse(await readFile(join(samplesDir, 'samples.json'), 'utf8'))
  } catch {
    return [] // no samples shipped (yet)
  }
  const parsed = z.array(z.unknown()).safeParse(raw)
  if (!parsed.success) {
    warn('samples.json is not an array; no samples listed')
    return []
  }
  const samples: SampleInfo[] = []
  for (const entry of parsed.data) {
    const sample = SampleInfoSchema.safeParse(entry)
    if (sample.success) samples.push(sample.data)
    else warn(`skipping sample ${JSON.stringify(entry).slice(0, 80)}: ${sample.error.issues[0]?.message}`)
  }
  return samples
}

/** The bytes of a listed sample. Ids that samples.json does not list are refused (no path traversal). */
export async function readSample(samplesDir: string, id: string): Promise<Uint8Array> {
  const listed = await listSamples(samplesDir, () => {})
  if (basename(id) !== id || !listed.some((s) => s.id === id)) throw new Error(`Unknown sample '${id}'`)
  const bytes = await readFile(join(samplesDir, id))
  // a plain Uint8Array (not a Node Buffer view into a shared pool): survives every transport as itself
  return new Uint8Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength))
}
