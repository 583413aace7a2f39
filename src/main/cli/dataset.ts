/**
 * Labelled image sets for `evaluate`: a folder of class folders, or a `.tar.gz` of one (read in memory with the `tar`
 * package, nothing extracted to disk). Class folders are named by the model's class names (case-insensitive) or by
 * class index. A single wrapping folder (e.g. `test/airplane/…`) is looked through.
 */
import { readdir, readFile, stat } from 'node:fs/promises'
import { extname, join } from 'node:path'
import * as tar from 'tar'
import { InputError } from './errors'
import { IMAGE_EXTENSIONS } from './inputs'

export interface LabelledFile {
  /** Path inside the folder or archive, for messages and result.json. */
  name: string
  label: number
  read(): Promise<Uint8Array>
}

const MAX_ARCHIVE_BYTES = 1024 * 1024 * 1024

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

async function readArchive(file: string): Promise<Map<string, Uint8Array>> {
  const contents = new Map<string, Uint8Array>()
  let total = 0
  try {
    await tar.t({
      file,
      strict: true,
      onReadEntry: (entry) => {
        if (entry.type !== 'File' || !isImage(entry.path)) {
          entry.resume()
          return
        }
        const chunks: Buffer[] = []
        entry.on('data', (c: Buffer) => {
          total += c.length
          if (total > MAX_ARCHIVE_BYTES) throw new InputError(`${file}: more than 1 GiB of images`)
          chunks.push(c)
        })
        entry.on('end', () => contents.set(entry.path, Buffer.concat(chunks)))
      }
    })
  } catch (e) {
    if (e instanceof InputError) throw e
    throw new InputError(`${file}: cannot read the archive (${(e as Error).message})`)
  }
  return contents
}

/** The labelled images of a folder or .tar.gz, at most `limit` of them (balanced over classes). */
export async function openLabelledSet(path: string, classes: readonly string[], limit?: number): Promise<LabelledFile[]> {
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
  const contents = await readArchive(path)
  if (contents.size === 0) throw new InputError(`${path}: no .png/.jpg/.jpeg images in the archive`)
  return select(groupByClass([...contents.keys()], classes, path), limit).map(({ name, label }) => ({
    name,
    label,
    read: async () => contents.get(name)!
  }))
}
