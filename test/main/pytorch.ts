/**
 * Runs the independent PyTorch reference (training/reference.py) from vitest: the same interpreter npm test uses for
 * the training tests ($PYTHON, else /usr/bin/python3), one process per call with every job of a test file.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

export const PYTHON = process.env.PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3')
const REFERENCE = resolve(import.meta.dirname, '../../training/reference.py')

/** null when `modules` import under PYTHON, else why not (for a skip reason). */
export function missingPython(modules = 'torch, numpy, PIL'): string | null {
  const probe = spawnSync(PYTHON, ['-c', `import ${modules}`], { encoding: 'utf8' })
  if (probe.error) return `${PYTHON} cannot be run (${probe.error.message})`
  return probe.status === 0 ? null : `${PYTHON} lacks ${modules} (install python3-torch python3-numpy python3-pil)`
}

export interface ReferenceJob {
  name: string
  method: string
  [key: string]: unknown
}

/** A scratch folder for job inputs (image files) that the caller removes. */
export function referenceDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'rl-pytorch-'))
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) }
}

/** Writes a raw little-endian float32 file for a job's `images`. */
export function writeFloat32(path: string, data: Float32Array): string {
  writeFileSync(path, Buffer.from(data.buffer, data.byteOffset, data.byteLength))
  return path
}

/** Runs the jobs in one Python process; returns each job's result by name. Throws with Python's stderr on failure. */
export function runReference<T = Record<string, unknown>>(jobs: ReferenceJob[], dir: string): Record<string, T> {
  const jobsPath = join(dir, 'jobs.json')
  const outPath = join(dir, 'out.json')
  writeFileSync(jobsPath, JSON.stringify({ jobs }))
  const r = spawnSync(PYTHON, [REFERENCE, jobsPath, outPath], { encoding: 'utf8', maxBuffer: 64 << 20 })
  if (r.status !== 0) throw new Error(`training/reference.py failed (${r.status ?? r.signal}):\n${r.stderr}`)
  return JSON.parse(readFileSync(outPath, 'utf8')) as Record<string, T>
}
