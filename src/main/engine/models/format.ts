/**
 * Reading and validating a model folder (model.json + weight files, docs/model-format.md). Every failure is a
 * ModelFormatError with a specific code and a message that names the folder, the file and the problem.
 *
 * A model folder is untrusted input (downloaded, shared, or a folder the user points --models-dir at), so every
 * file is opened the same way (openFolderFile): a plain name that resolves inside the folder, a regular file (a
 * FIFO would block a thread for ever, a link to /dev/zero never end), its size compared with what the manifest
 * needs before a byte is read. readWeightFiles is the one reader of weight bytes for every backend; scanModelFolders
 * the one listing of a models folder (ids must be unique), with model.json parsed once per path and mtime.
 */
import { createHash } from 'node:crypto'
import { constants as fsConstants } from 'node:fs'
import { open, readdir, realpath, stat, type FileHandle } from 'node:fs/promises'
import { basename, isAbsolute, join, relative } from 'node:path'
import { MODEL_FORMAT, ModelSpecSchema, type ModelInfo, type ModelSpec, type WeightEntry } from '../../../shared/model-format'
import { expectedWeights, networkLayout } from './layout'

/** model.json is a few KiB (ImageNet's 1000 class names ~ 20 KiB); anything near this is not a model description. */
export const MAX_MODEL_JSON_BYTES = 4 * 1024 * 1024
/** All weight files of one model: 5× a full-width ResNet-50 in float32 (~100 MB). */
export const MAX_WEIGHTS_BYTES = 512 * 1024 * 1024

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
  | 'weight-file-path'
  | 'not-a-regular-file'
  | 'too-large'

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

/** An open file of a model folder, checked: inside the folder, regular, its size known. */
interface FolderFile {
  path: string
  handle: FileHandle
  size: number
}

// O_NONBLOCK: opening a FIFO returns at once instead of waiting for a writer (it is then refused as not regular)
const OPEN_FLAGS = fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0)

/**
 * Open `name` in model folder `dir` for reading: a plain file name (no separators, not `.` / `..`) whose real path
 * (links resolved) lies inside the folder's real path, and a regular file once open (fstat: no swap between check
 * and read). `what` names the file's role in errors ("weight file", "model.json").
 */
async function openFolderFile(dir: string, name: string, what: string): Promise<FolderFile> {
  const path = join(dir, name)
  const label = what === name ? name : `${what} ${name}`
  if (!/^[A-Za-z0-9._-]+$/.test(name) || name === '.' || name === '..') {
    throw new ModelFormatError('weight-file-path', `model folder ${dir}: ${what} "${name}" is not a plain file name inside the folder`)
  }
  let real: string
  let realDir: string
  try {
    realDir = await realpath(dir)
    real = await realpath(path)
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    throw new ModelFormatError(what === 'model.json' ? 'unreadable' : 'missing-weight-file', `model folder ${dir}: ${label} is missing (${code ?? (e as Error).message})`)
  }
  const inside = relative(realDir, real)
  if (inside === '' || inside.startsWith('..') || isAbsolute(inside)) {
    throw new ModelFormatError('weight-file-path', `model folder ${dir}: ${label} leads outside the folder (to ${real})`)
  }
  let handle: FileHandle
  try {
    handle = await open(real, OPEN_FLAGS)
  } catch (e) {
    throw new ModelFormatError('unreadable', `model folder ${dir}: cannot open ${label} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`)
  }
  const info = await handle.stat()
  if (!info.isFile()) {
    await handle.close()
    throw new ModelFormatError('not-a-regular-file', `model folder ${dir}: ${label} is not a regular file`)
  }
  return { path, handle, size: info.size }
}

/** Read exactly `file.size` bytes (the size checked before), then close. */
async function readAll(dir: string, file: FolderFile, what: string): Promise<Buffer> {
  try {
    const out = Buffer.alloc(file.size)
    let offset = 0
    while (offset < file.size) {
      const { bytesRead } = await file.handle.read(out, offset, file.size - offset, offset)
      if (bytesRead === 0) throw new ModelFormatError('short-weight-file', `model folder ${dir}: ${what} ${basename(file.path)} shrank while being read`)
      offset += bytesRead
    }
    return out
  } finally {
    await file.handle.close()
  }
}

/** Open and read a small file of a model folder (model.json), refusing it unread when larger than `maxBytes`. */
async function readSmallFolderFile(dir: string, name: string, maxBytes: number): Promise<Buffer> {
  const file = await openFolderFile(dir, name, name)
  if (file.size > maxBytes) {
    await file.handle.close()
    throw new ModelFormatError('too-large', `model folder ${dir}: ${name} is ${file.size} bytes (at most ${maxBytes})`)
  }
  return readAll(dir, file, name)
}

const specCache = new Map<string, { key: string; spec: Promise<ModelSpec> }>()

/**
 * model.json of `dir`, validated against the schema (not yet against the architecture), parsed once per path,
 * mtime and size: `models:list` and every `jobs:start` list the models folder.
 */
export async function parseModelJson(dir: string): Promise<ModelSpec> {
  const path = join(dir, 'model.json')
  let key: string
  try {
    const info = await stat(path)
    key = `${info.mtimeMs}:${info.size}:${info.ino}`
  } catch (e) {
    throw new ModelFormatError('unreadable', `cannot read ${path}: ${(e as Error).message}`)
  }
  const cached = specCache.get(path)
  if (cached?.key === key) return cached.spec
  const spec = parseModelJsonUncached(dir, path)
  if (specCache.size >= 256) specCache.delete(specCache.keys().next().value as string)
  specCache.set(path, { key, spec })
  return spec
}

async function parseModelJsonUncached(dir: string, path: string): Promise<ModelSpec> {
  let text: string
  try {
    text = (await readSmallFolderFile(dir, 'model.json', MAX_MODEL_JSON_BYTES)).toString('utf8')
  } catch (e) {
    if (e instanceof ModelFormatError) throw e
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
  return parsed.data
}

/** Reads and validates model.json only (no weights), against the schema and the architecture: enough for listing models. */
export async function readModelSpec(dir: string): Promise<ModelSpec> {
  const path = join(dir, 'model.json')
  const spec = await parseModelJson(dir)
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

const groupBytes = (group: ModelSpec['weightsManifest'][number]): number =>
  group.weights.reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1) * BYTES[w.dtype], 0)

/** Opens every file of one manifest group and checks their total size against what the group's weights need. */
async function openGroup(dir: string, group: ModelSpec['weightsManifest'][number]): Promise<FolderFile[]> {
  const files: FolderFile[] = []
  try {
    for (const name of group.paths) files.push(await openFolderFile(dir, name, 'weight file'))
    const held = files.reduce((n, f) => n + f.size, 0)
    const needed = groupBytes(group)
    const names = `model folder ${dir}: weight file ${group.paths.join(' + ')}`
    if (held < needed) throw new ModelFormatError('short-weight-file', `${names} holds ${held} bytes, the manifest needs ${needed}`)
    if (held > needed) throw new ModelFormatError('long-weight-file', `${names} holds ${held} bytes, the manifest describes only ${needed}`)
    return files
  } catch (e) {
    await Promise.all(files.map((f) => f.handle.close()))
    throw e
  }
}

function checkTotalSize(dir: string, spec: ModelSpec): void {
  const total = spec.weightsManifest.reduce((n, g) => n + groupBytes(g), 0)
  if (total > MAX_WEIGHTS_BYTES) {
    throw new ModelFormatError('too-large', `model folder ${dir}: the manifest describes ${total} bytes of weights (at most ${MAX_WEIGHTS_BYTES})`)
  }
}

export interface WeightBytes {
  /** The bytes of each manifest group, its files concatenated in order. */
  groups: Buffer[]
  /** sha256 (hex) of the weight files concatenated in manifest order. */
  weightsSha256: string
  sizeBytes: number
}

/**
 * The weight bytes of a model folder, for any backend: each file a plain name resolved inside `dir`, a regular
 * file, each group's size equal to what its manifest entries need (checked before reading), the total bounded by
 * MAX_WEIGHTS_BYTES, and the sha256 compared with model.json's.
 */
export async function readWeightFiles(dir: string, spec: ModelSpec): Promise<WeightBytes> {
  checkTotalSize(dir, spec)
  const hash = createHash('sha256')
  const groups: Buffer[] = []
  let sizeBytes = 0
  for (const group of spec.weightsManifest) {
    const files = await openGroup(dir, group)
    const buffers: Buffer[] = []
    let next = 0 // readAll closes its own file, even when it fails; the ones after it are closed here
    try {
      for (; next < files.length; next++) {
        const buf = await readAll(dir, files[next], 'weight file')
        hash.update(buf)
        buffers.push(buf)
      }
    } finally {
      await Promise.all(files.slice(next + 1).map((f) => f.handle.close()))
    }
    const bytes = buffers.length === 1 ? buffers[0] : Buffer.concat(buffers)
    sizeBytes += bytes.byteLength
    groups.push(bytes)
  }
  const weightsSha256 = hash.digest('hex')
  if (spec.weightsSha256 && spec.weightsSha256 !== weightsSha256) {
    throw new ModelFormatError(
      'sha256-mismatch',
      `${dir}: weight files hash to sha256 ${weightsSha256}, model.json says ${spec.weightsSha256} (corrupt or replaced weights)`
    )
  }
  return { groups, weightsSha256, sizeBytes }
}

/** The same checks as readWeightFiles without reading a byte (for listing): the total size of the weight files. */
export async function checkWeightFiles(dir: string, spec: ModelSpec): Promise<number> {
  checkTotalSize(dir, spec)
  let total = 0
  for (const group of spec.weightsManifest) {
    const files = await openGroup(dir, group)
    total += files.reduce((n, f) => n + f.size, 0)
    await Promise.all(files.map((f) => f.handle.close()))
  }
  return total
}

/** Reads model.json and all weights, validating everything (format, schema, layout, sizes, NaNs, sha256). */
export async function readModelFiles(dir: string): Promise<ModelFiles> {
  const spec = await readModelSpec(dir)
  const { groups, weightsSha256, sizeBytes } = await readWeightFiles(dir, spec)
  const weights = new Map<string, Float32Array>()
  for (const [g, group] of spec.weightsManifest.entries()) {
    const bytes = groups[g]
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
  return { dir, spec, weights, weightsSha256, sizeBytes }
}

/** Total size of a model's weight files (for listing; 0 for files that are missing or not what the manifest says). */
export async function weightFilesSize(dir: string, spec: ModelSpec): Promise<number> {
  return checkWeightFiles(dir, spec).catch(() => 0)
}

export interface ModelFolder {
  id: string
  dir: string
  spec: ModelSpec
  sizeBytes: number
}

export interface ModelFolderScan {
  models: ModelFolder[]
  /** Ids declared by more than one folder: none of those folders is usable (which one is meant is unknowable). */
  duplicates: Map<string, string[]>
  /** One line per folder skipped, naming it and why. */
  problems: string[]
}

/**
 * Every model folder under `modelsDir` (model.json valid against the schema, weight files present and of the
 * manifest's size), in folder-name order. Folders that are not models (no model.json) are passed over silently.
 * Two folders with the same id are both refused, with a problem naming both: the catalog shows the labels of one
 * and the engine would load the weights of the other.
 */
export async function scanModelFolders(modelsDir: string): Promise<ModelFolderScan> {
  let names: string[]
  try {
    names = (await readdir(modelsDir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name)
  } catch {
    return { models: [], duplicates: new Map(), problems: [] } // no models folder yet
  }
  const found: ModelFolder[] = []
  const problems: string[] = []
  for (const name of names.sort()) {
    const dir = join(modelsDir, name)
    let spec: ModelSpec
    try {
      spec = await parseModelJson(dir)
    } catch (e) {
      if ((e as ModelFormatError).code === 'unreadable' && /ENOENT/.test((e as Error).message)) continue // not a model folder
      problems.push(`skipping model '${name}': ${(e as Error).message}`)
      continue
    }
    try {
      found.push({ id: spec.id, dir, spec, sizeBytes: await checkWeightFiles(dir, spec) })
    } catch (e) {
      problems.push(`skipping model '${name}': ${(e as Error).message}`)
    }
  }
  const byId = new Map<string, string[]>()
  for (const m of found) byId.set(m.id, [...(byId.get(m.id) ?? []), m.dir])
  const duplicates = new Map([...byId].filter(([, dirs]) => dirs.length > 1))
  for (const [id, dirs] of duplicates) {
    problems.push(`skipping model id '${id}': it is declared by ${dirs.length} folders (${dirs.join(' and ')}); model ids must be unique, rename or remove one`)
  }
  return { models: found.filter((m) => !duplicates.has(m.id)), duplicates, problems }
}

/** What the renderer learns about a scanned model. */
export function modelInfo(folder: ModelFolder): ModelInfo {
  const { weightsManifest: _manifest, ...info } = folder.spec
  return { ...info, sizeBytes: folder.sizeBytes }
}
