/**
 * Reading and validating a model folder (model.json + weight files, docs/model-format.md). Every failure is a
 * ModelFormatError with a specific code and a message that names the file and the problem.
 */
import { createHash } from 'node:crypto'
import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { MODEL_FORMAT, ModelSpecSchema, type ModelSpec, type WeightEntry } from '../../../shared/model-format'
import { expectedWeights, networkLayout } from './layout'

export type ModelFormatErrorCode =
  | 'unreadable'
  | 'unknown-format'
  | 'invalid-spec'
  | 'missing-weight-file'
  | 'short-weight-file'
  | 'long-weight-file'
  | 'missing-weight'
  | 'unexpected-weight'
  | 'weight-shape'
  | 'representation-size'
  | 'non-finite-weight'
  | 'sha256-mismatch'

export class ModelFormatError extends Error {
  constructor(
    readonly code: ModelFormatErrorCode,
    message: string
  ) {
    super(message)
    this.name = 'ModelFormatError'
  }
}

export interface ModelFiles {
  dir: string
  spec: ModelSpec
  weights: Map<string, Float32Array>
  /** sha256 (hex) of the weight files concatenated in manifest order. */
  weightsSha256: string
  sizeBytes: number
}

const BYTES: Record<WeightEntry['dtype'], number> = { float32: 4, float16: 2 }

/** Reads and validates model.json only (no weights): enough for listing models. */
export async function readModelSpec(dir: string): Promise<ModelSpec> {
  const path = join(dir, 'model.json')
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (e) {
    throw new ModelFormatError('unreadable', `cannot read ${path}: ${(e as Error).message}`)
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (e) {
    throw new ModelFormatError('unreadable', `${path} is not valid JSON: ${(e as Error).message}`)
  }
  const format = (json as { format?: unknown } | null)?.format
  if (format !== MODEL_FORMAT) {
    throw new ModelFormatError('unknown-format', `${path}: unknown model format ${JSON.stringify(format)} (this engine reads "${MODEL_FORMAT}")`)
  }
  const parsed = ModelSpecSchema.safeParse(json)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new ModelFormatError('invalid-spec', `${path}: ${issue.path.join('.') || '(root)'}: ${issue.message}`)
  }
  const spec = parsed.data
  const layout = networkLayout(spec.architecture.name, spec.architecture.width, spec.classes.length)
  if (spec.representation.size !== layout.representationSize) {
    throw new ModelFormatError(
      'representation-size',
      `${path}: representation.size is ${spec.representation.size}, but ${spec.architecture.name} of width ${spec.architecture.width} has ${layout.representationSize}`
    )
  }
  checkManifestAgainstLayout(spec, path)
  return spec
}

function checkManifestAgainstLayout(spec: ModelSpec, path: string): void {
  const layout = networkLayout(spec.architecture.name, spec.architecture.width, spec.classes.length)
  const expected = new Map(expectedWeights(layout).map((w) => [w.name, w.shape]))
  const seen = new Set<string>()
  for (const group of spec.weightsManifest) {
    for (const w of group.weights) {
      const shape = expected.get(w.name)
      if (!shape) throw new ModelFormatError('unexpected-weight', `${path}: weight "${w.name}" is not part of ${spec.architecture.name}`)
      if (seen.has(w.name)) throw new ModelFormatError('unexpected-weight', `${path}: weight "${w.name}" is listed twice`)
      seen.add(w.name)
      if (shape.length !== w.shape.length || shape.some((d, i) => d !== w.shape[i])) {
        throw new ModelFormatError(
          'weight-shape',
          `${path}: weight "${w.name}" has shape [${w.shape.join(', ')}], ${spec.architecture.name} (width ${spec.architecture.width}, ${spec.classes.length} classes) needs [${shape.join(', ')}]`
        )
      }
    }
  }
  for (const name of expected.keys()) {
    if (!seen.has(name)) throw new ModelFormatError('missing-weight', `${path}: weight "${name}" is missing from weightsManifest`)
  }
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1
  const exp = (h >> 10) & 0x1f
  const frac = h & 0x3ff
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024)
  if (exp === 0x1f) return frac ? NaN : sign * Infinity
  return sign * 2 ** (exp - 15) * (1 + frac / 1024)
}

function decode(bytes: Buffer, offset: number, count: number, dtype: WeightEntry['dtype']): Float32Array {
  const out = new Float32Array(count)
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, count * BYTES[dtype])
  if (dtype === 'float32') for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true)
  else for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(i * 2, true))
  return out
}

/** Reads model.json and all weights, validating everything (format, schema, layout, sizes, NaNs, sha256). */
export async function readModelFiles(dir: string): Promise<ModelFiles> {
  const spec = await readModelSpec(dir)
  const hash = createHash('sha256')
  const weights = new Map<string, Float32Array>()
  let sizeBytes = 0
  for (const group of spec.weightsManifest) {
    const buffers: Buffer[] = []
    for (const file of group.paths) {
      const path = join(dir, file)
      try {
        await stat(path)
      } catch {
        throw new ModelFormatError('missing-weight-file', `weight file ${path} is missing`)
      }
      const buf = await readFile(path)
      hash.update(buf)
      buffers.push(buf)
    }
    const bytes = Buffer.concat(buffers)
    sizeBytes += bytes.byteLength
    const needed = group.weights.reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1) * BYTES[w.dtype], 0)
    const files = group.paths.map((p) => join(dir, p)).join(' + ')
    if (bytes.byteLength < needed) {
      throw new ModelFormatError('short-weight-file', `weight file ${files} holds ${bytes.byteLength} bytes, the manifest needs ${needed}`)
    }
    if (bytes.byteLength > needed) {
      throw new ModelFormatError('long-weight-file', `weight file ${files} holds ${bytes.byteLength} bytes, the manifest describes only ${needed}`)
    }
    let offset = 0
    for (const w of group.weights) {
      const count = w.shape.reduce((a, b) => a * b, 1)
      const values = decode(bytes, offset, count, w.dtype)
      offset += count * BYTES[w.dtype]
      for (let i = 0; i < count; i++) {
        if (!Number.isFinite(values[i])) {
          throw new ModelFormatError('non-finite-weight', `${join(dir, 'model.json')}: weight "${w.name}" holds ${values[i]} at index ${i}`)
        }
      }
      weights.set(w.name, values)
    }
  }
  const weightsSha256 = hash.digest('hex')
  if (spec.weightsSha256 && spec.weightsSha256 !== weightsSha256) {
    throw new ModelFormatError(
      'sha256-mismatch',
      `${dir}: weight files hash to sha256 ${weightsSha256}, model.json says ${spec.weightsSha256} (corrupt or replaced weights)`
    )
  }
  return { dir, spec, weights, weightsSha256, sizeBytes }
}

/** Total size of a model's weight files (for listing; no validation of content). */
export async function weightFilesSize(dir: string, spec: ModelSpec): Promise<number> {
  let total = 0
  for (const group of spec.weightsManifest) {
    for (const file of group.paths) {
      try {
        total += (await stat(join(dir, file))).size
      } catch {
        // missing files are reported when the model is loaded
      }
    }
  }
  return total
}
