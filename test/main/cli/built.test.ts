/**
 * The built entry (what `npm run lab` runs): the real process exit codes, stdout flushing, and the worker-pool path
 * (`--workers 2`), which needs electron-vite's `?nodeWorker` bundling and so cannot run from source under vitest.
 * The CLI entry alone is built into node_modules/.cache (so its bare imports resolve to this project's packages).
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
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
    expect(input.stderr).toMatch(/bad\.jpg: corrupt JPEG/)
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
})
