/**
 * Files from a drop: plain files, and every file inside dropped folders (webkitGetAsEntry, recursively).
 * Folder entries are read before the DataTransfer goes stale (its items are only valid during the event).
 */

/** Longest folder walk we do for one drop (a dropped home directory must not hang the app). */
export const MAX_FILES_PER_DROP = 500

function readAllEntries(reader: FileSystemDirectoryReader): Promise<FileSystemEntry[]> {
  return new Promise((resolve, reject) => {
    const all: FileSystemEntry[] = []
    // readEntries returns at most ~100 entries per call: call until it returns none
    const next = (): void =>
      reader.readEntries((batch) => {
        if (batch.length === 0) resolve(all)
        else {
          all.push(...batch)
          next()
        }
      }, reject)
    next()
  })
}

const entryFile = (entry: FileSystemFileEntry): Promise<File> => new Promise((resolve, reject) => entry.file(resolve, reject))

async function walk(entry: FileSystemEntry, out: File[]): Promise<void> {
  if (out.length >= MAX_FILES_PER_DROP) return
  if (entry.isFile) out.push(await entryFile(entry as FileSystemFileEntry))
  else if (entry.isDirectory) {
    const children = await readAllEntries((entry as FileSystemDirectoryEntry).createReader())
    children.sort((a, b) => a.name.localeCompare(b.name))
    for (const child of children) await walk(child, out)
  }
}

export async function filesFromDataTransfer(dt: DataTransfer): Promise<File[]> {
  const items = [...(dt.items ?? [])].filter((i) => i.kind === 'file')
  const entries = items.map((i) => (typeof i.webkitGetAsEntry === 'function' ? i.webkitGetAsEntry() : null))
  // no entry API (or a test's synthetic DataTransfer): the plain file list
  if (entries.length === 0 || entries.some((e) => e === null)) return [...(dt.files ?? [])]
  const plainFiles = items.map((i) => i.getAsFile())
  const out: File[] = []
  for (let k = 0; k < entries.length; k++) {
    const entry = entries[k]
    const file = plainFiles[k]
    // a file entry: the File we already hold (works for synthetic drops too); a folder: walk it
    if (entry && entry.isDirectory) await walk(entry, out)
    else if (file) out.push(file)
  }
  return out.slice(0, MAX_FILES_PER_DROP)
}

export function isExperimentCard(file: File): boolean {
  return file.name.toLowerCase().endsWith('.json') || file.type === 'application/json'
}
