/**
 * The built entry (what `npm run lab` runs): the real process exit codes, stdout flushing, and the worker-pool path
 * (`--workers 2`), which needs electron-vite's `?nodeWorker` bundling and so cannot run from source under vitest.
 * The CLI entry alone is built into node_modules/.cache (so its bare imports resolve to this project's packages).
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { build } from 'electron-vite'
import { beforeAll, describe, expect, it } from 'vitest'
import { encodePng } from '../../../src/main/cli/images'
import { writeRandomModel } from '../../../src/main/engine/models/random'

const projectRoot = resolve(import.meta.dirname, '../../..')
const buildDir = join(projectRoot, 'node_modules/.cache/rl-cli-test')
const cliJs = join(buildDir, 'out/cli.js')
const work = mkdtempSync(join(tmpdir(), 'rl-cli-built-'))
const modelsDir = join(work, 'models')
const image = join(work, 'a.png')

function lab(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cliJs, ...args], { encoding: 'utf8', timeout: 120_000 })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

beforeAll(async () => {
  mkdirSync(buildDir, { recursive: true })
  const config = join(buildDir, 'electron.vite.config.mjs')
  writeFileSync(
    config,
    `export default { main: { build: { outDir: ${JSON.stringify(join(buildDir, 'out'))}, rolldownOptions: { input: { cli: ${JSON.stringify(join(projectRoot, 'src/main/cli.ts'))} } } } } }\n`
  )
  await build({ configFile: config, root: projectRoot, logLevel: 'error' })
  await writeRandomModel(modelsDir, { id: 'built-a', pair: 'built', role: 'standard', width: 2, seed: 5 })
  await writeRandomModel(modelsDir, { id: 'built-b', pair: 'built', role: 'robust', width: 2, seed: 6 })
  const rgba = new Uint8Array(32 * 32 * 4).fill(180)
  writeFileSync(image, encodePng(rgba, 32, 32))
}, 120_000)

describe('the built CLI process', () => {
  it('exits 2 on a bad command line and 1 on a corrupt input', () => {
    const usage = lab(['attack', '--steps', 'many', image])
    expect(usage.status).toBe(2)
    expect(usage.stderr).toMatch(/--steps: 'many' is not a non-negative integer/)
    writeFileSync(join(work, 'bad.jpg'), Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0, 4, 0, 0]))
    const input = lab(['predict', '--models-dir', modelsDir, join(work, 'bad.jpg')])
    expect(input.status).toBe(1)
    expect(input.stderr).toMatch(/bad\.jpg: the JPEG header is damaged/)
  })

  it('runs a twin job on two worker threads and prints the whole result.json with --json', () => {
    const r = lab(['attack', '--models-dir', modelsDir, '--model', 'built-a', '--model', 'built-b', '--workers', '2', '--steps', '2', '--json', image])
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    const result = JSON.parse(r.stdout)
    expect(result.workers).toBe(2)
    expect(result.models.map((m: { id: string }) => m.id)).toEqual(['built-a', 'built-b'])
    expect(Object.keys(result.results)).toEqual(['built-a', 'built-b'])
  })

  it('saliency --workers 2 (SmoothGrad samples split over the pool) gets the in-process map, up to addition order', () => {
    // a textured image: σ is a fraction of the image's range, so a flat one would get no noise at all
    const textured = join(work, 'textured.png')
    writeFileSync(textured, encodePng(new Uint8Array(32 * 32 * 4).map((_, i) => (i % 4 === 3 ? 255 : (i * 37) % 256)), 32, 32))
    const maps = (workers: string) => {
      const out = join(work, `sg-${workers}`)
      const r = lab(['saliency', '--models-dir', modelsDir, '--model', 'built-a', '--workers', workers, '--variant', 'vargrad', '--n', '9', '--seed', '4', '--quiet', '--out', out, textured])
      expect(r.stderr).toBe('')
      expect(r.status).toBe(0)
      return readNpyFloats(join(out, 'saliency-built-a.npy'))
    }
    const inProcess = maps('0')
    const split = maps('2')
    const scale = Math.max(...inProcess.map(Math.abs))
    expect(scale).toBeGreaterThan(0)
    expect(Math.max(...split.map((v, i) => Math.abs(v - inProcess[i]))) / scale).toBeLessThan(1e-6)
  })
})

/** The float32 payload of a .npy file written by the CLI (header padded to a multiple of 64 bytes). */
function readNpyFloats(path: string): Float32Array {
  const bytes = readFileSync(path)
  const headerLength = bytes.readUInt16LE(8)
  const start = 10 + headerLength
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset + start, bytes.byteOffset + bytes.length))
}
