/**
 * Labelled image sets for `evaluate`: a folder of class folders, or a `.tar.gz` of one (streamed through the `tar`
 * package's parser, nothing extracted to disk). Class folders are named by the model's class names (case-insensitive)
 * or by class index. A single wrapping folder (e.g. `test/airplane/…`) is looked through.
 *
 * An archive is bounded as it streams (ARCHIVE_LIMITS): a small .tar.gz can expand to any size, so decompressed
 * bytes, entries, each image and all buffered images are counted and the read stops at the first bound crossed.
 */
import { createReadStream } from 'node:fs'
import { readdir, readFile, stat } from 'node:fs/promises'
import { extname, join } from 'node:path'
import { Transform, type TransformCallback } from 'node:stream'
import { createGunzip } from 'node:zlib'
import { Parser, type ReadEntry } from 'tar'
import { InputError } from './errors'
import { IMAGE_EXTENSIONS } from './inputs'
import { MAX_FILE_BYTES } from './images'

export interface LabelledFile {
  /** Path inside the folder or archive, for messages and result.json. */
  name: string
  label: number
  read(): Promise<Uint8Array>
}

export interface ArchiveLimits {
  /** Bytes after decompression, every entry and header included. */
  totalBytes: number
  entries: number
  /** One image (the CLI's image file limit). */
  imageBytes: number
  /** All images held in memory until they are decoded. */
  bufferedBytes: number
}

/**
 * 256 MiB of images is ~10× the CIFAR-10 test set as PNG and more than Imagenette's validation set as JPEG; the
 * decoded pixels must fit in memory next to them anyway. 1 GiB decompressed and 200 000 entries leave room for
 * non-image files in an archive while bounding the time a decompression bomb can take.
 */
export const ARCHIVE_LIMITS: ArchiveLimits = { totalBytes: 1024 ** 3, entries: 200_000, imageBytes: MAX_FILE_BYTES, bufferedBytes: 256 * 1024 ** 2 }

const isImage = (name: string): boolean => IMAGE_EXTENSIONS.includes(extname(name).toLowerCase())

/** Class index of a folder name, or null. */
export function classOfFolder(folder: string, classes: readonly string[]): number | null {
  const byName = classes.findIndex((c) => c.toLowerCase() === folder.toLowerCase())
  if (byName >= 0) return byName
  if (/^\d+$/.test(folder) && Number(folder) < classes.length) return Number(folder)
  return null
}

/** Group `a/b/c.png`-style paths by their class folder, looking through one wrapping folder if needed. */
function groupByClass(paths: string[], classes: readonly string[], source: string): Map<string, { label: number; files: string[] }> {
  const split = paths.map((p) => p.split('/').filter((s) => s.length > 0 && s !== '.'))
  const depthOk = (parts: string[][], d: number): boolean => parts.every((p) => p.length === d + 2 && classOfFolder(p[d], classes) !== null)
  let depth = 0
  if (!depthOk(split, 0) && new Set(split.map((p) => p[0])).size === 1 && depthOk(split, 1)) depth = 1
  const groups = new Map<string, { label: number; files: string[] }>()
  for (const [i, parts] of split.entries()) {
    if (parts.length !== depth + 2) throw new InputError(`${source}: '${paths[i]}' is not inside a class folder (expected <class>/<image>)`)
    const folder = parts[depth]
    const label = classOfFolder(folder, classes)
    if (label === null) throw new InputError(`${source}: folder '${folder}' is neither a class of the model (${classes.join(', ')}) nor a class index`)
    const g = groups.get(folder) ?? { label, files: [] }
    g.files.push(paths[i])
    groups.set(folder, g)
  }
  return groups
}

/** Take up to `limit` files round-robin over the classes (each class in file-name order), so a small limit still covers every class. */
export function takeBalanced<T>(groups: T[][], limit: number): T[] {
  const out: T[] = []
  for (let i = 0; out.length < limit; i++) {
    let any = false
    for (const g of groups) {
      if (i < g.length && out.length < limit) {
        out.push(g[i])
        any = true
      }
    }
    if (!any) break
  }
  return out
}

function select(groups: Map<string, { label: number; files: string[] }>, limit: number | undefined): { name: string; label: number }[] {
  const ordered = [...groups.values()].sort((a, b) => a.label - b.label).map((g) => g.files.sort().map((name) => ({ name, label: g.label })))
  return takeBalanced(ordered, limit ?? Infinity)
}

async function listFolder(root: string): Promise<string[]> {
  const out: string[] = []
  const walk = async (rel: string, depth: number): Promise<void> => {
    for (const entry of await readdir(join(root, rel), { withFileTypes: true })) {
      const child = rel ? `${rel}/${entry.name}` : entry.name
      if (entry.isDirectory() && depth < 2) await walk(child, depth + 1)
      else if (entry.isFile() && isImage(entry.name)) out.push(child)
    }
  }
  await walk('', 0)
  return out
}

/** Counts bytes through a stream and fails once more than `max` passed. */
function byteCounter(max: number, onExceeded: () => Error): Transform {
  let seen = 0
  return new Transform({
    transform(chunk: Buffer, _encoding, done: TransformCallback) {
      seen += chunk.length
      if (seen > max) done(onExceeded())
      else done(null, chunk)
    }
  })
}

async function readArchive(file: string, limits: ArchiveLimits): Promise<Map<string, Uint8Array>> {
  const contents = new Map<string, Uint8Array>()
  const mib = (n: number): string => `${Math.round(n / 2 ** 20)} MiB`
  const head = await new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = []
    createReadStream(file, { start: 0, end: 1 })
      .on('data', (c) => chunks.push(c as Buffer))
      .on('end', () => resolve(Buffer.concat(chunks)))
      .on('error', reject)
  }).catch((e: NodeJS.ErrnoException) => {
    throw new InputError(`${file}: cannot read (${e.code ?? e.message})`)
  })
  const gzipped = head[0] === 0x1f && head[1] === 0x8b
  return new Promise((resolve, reject) => {
    const input = createReadStream(file)
    const gunzip = gzipped ? createGunzip() : null
    const counter = byteCounter(limits.totalBytes, () => new InputError(`${file}: the archive expands to more than ${mib(limits.totalBytes)}; refusing to read further`))
    const parser = new Parser({ strict: true })
    let settled = false
    const fail = (error: Error): void => {
      if (settled) return
      settled = true
      for (const stream of [input, gunzip, counter]) stream?.destroy()
      parser.removeAllListeners('entry')
      reject(error instanceof InputError ? error : new InputError(`${file}: cannot read the archive (${error.message})`))
    }
    let entries = 0
    let buffered = 0
    parser.on('entry', (entry: ReadEntry) => {
      if (++entries > limits.entries) return fail(new InputError(`${file}: more than ${limits.entries} entries in the archive`))
      if (entry.type !== 'File' || !isImage(entry.path)) return void entry.resume()
      if (entry.size > limits.imageBytes) return fail(new InputError(`${file}: ${entry.path} is ${entry.size} bytes; at most ${mib(limits.imageBytes)} per image`))
      buffered += entry.size
      if (buffered > limits.bufferedBytes) return fail(new InputError(`${file}: more than ${mib(limits.bufferedBytes)} of images in the archive`))
      const chunks: Buffer[] = []
      entry.on('data', (c: Buffer) => chunks.push(c))
      entry.on('end', () => contents.set(entry.path, Buffer.concat(chunks)))
    })
    parser.on('error', fail)
    parser.on('end', () => {
      if (settled) return
      settled = true
      resolve(contents)
    })
    input.on('error', fail)
    gunzip?.on('error', fail)
    counter.on('error', fail)
    const source = gunzip ? input.pipe(gunzip) : input
    source.pipe(counter).pipe(parser as unknown as NodeJS.WritableStream)
  })
}

/** The labelled images of a folder or .tar.gz, at most `limit` of them (balanced over classes). */
export async function openLabelledSet(path: string, classes: readonly string[], limit?: number, archiveLimits: ArchiveLimits = ARCHIVE_LIMITS): Promise<LabelledFile[]> {
  let info
  try {
    info = await stat(path)
  } catch (e) {
    throw new InputError(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`)
  }
  if (info.isDirectory()) {
    const paths = await listFolder(path)
    if (paths.length === 0) throw new InputError(`${path}: no .png/.jpg/.jpeg images in class folders`)
    return select(groupByClass(paths, classes, path), limit).map(({ name, label }) => ({
      name,
      label,
      read: async () => readFile(join(path, name))
    }))
  }
  if (!/\.(tar\.gz|tgz|tar)$/i.test(path)) throw new InputError(`${path}: expected a folder, a .tar.gz/.tgz or a .tar`)
  const contents = await readArchive(path, archiveLimits)
  if (contents.size === 0) throw new InputError(`${path}: no .png/.jpg/.jpeg images in the archive`)
  return select(groupByClass([...contents.keys()], classes, path), limit).map(({ name, label }) => ({
    name,
    label,
    read: async () => contents.get(name)!
  }))
}
