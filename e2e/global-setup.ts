/**
 * Before any spec: check the build exists and snapshot it (paths.ts: BUILT), bundle the bridge page script, and write the random-weight e2e models
 * (real model format, written by the engine's own writer) — once, reused while their options do not change.
 */
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { resolve } from 'node:path'
import { build } from 'vite'
import { writeRandomModel } from '../src/main/engine/models/random'
import { BRIDGE_BUNDLE, BUILT, CACHE, FAST_MODELS, FAST_PAIR, IMAGENETTE_CLASSES, MODELS_DIR, NETTE_MODELS, NETTE_PAIR, OUT, ROOT, SCREENS, SLOW_MODELS, SLOW_PAIR, builtWorkerChunk } from './paths'

const MODELS = [
  { dir: FAST_MODELS, id: `${FAST_PAIR}-standard`, pair: FAST_PAIR, role: 'standard', width: 4, seed: 1 },
  { dir: FAST_MODELS, id: `${FAST_PAIR}-robust`, pair: FAST_PAIR, role: 'robust', width: 4, seed: 2 },
  // wide enough that a 100-step attack runs for seconds: something to watch and to cancel
  { dir: SLOW_MODELS, id: `${SLOW_PAIR}-standard`, pair: SLOW_PAIR, role: 'standard', width: 48, seed: 3 },
  { dir: SLOW_MODELS, id: `${SLOW_PAIR}-robust`, pair: SLOW_PAIR, role: 'robust', width: 48, seed: 4 }
] as const

/** The app follows the model's input: a 128 px torchvision-layout pair, Imagenette's classes and 128/146 crop. */
const NETTE = [
  { id: `${NETTE_PAIR}-standard`, role: 'standard', seed: 5 },
  { id: `${NETTE_PAIR}-robust`, role: 'robust', seed: 6 }
] as const

export default async function globalSetup(): Promise<void> {
  if (!existsSync(resolve(OUT, 'renderer/index.html'))) throw new Error('out/renderer/index.html is missing: run `npm run build` first')
  builtWorkerChunk(OUT) // throws with the same advice
  rmSync(BUILT, { recursive: true, force: true })
  cpSync(OUT, BUILT, { recursive: true })
  builtWorkerChunk(BUILT)
  mkdirSync(SCREENS, { recursive: true })
  await build({
    configFile: false,
    logLevel: 'warn',
    root: ROOT,
    build: {
      outDir: CACHE,
      emptyOutDir: false,
      minify: false,
      lib: { entry: resolve(ROOT, 'e2e/bridge-page.ts'), formats: ['iife'], name: 'robustLensBridge', fileName: () => 'bridge.js' }
    }
  })
  if (!existsSync(BRIDGE_BUNDLE)) throw new Error(`bridge bundle was not written to ${BRIDGE_BUNDLE}`)

  mkdirSync(MODELS_DIR, { recursive: true })
  const stamp = resolve(MODELS_DIR, 'models.stamp.json')
  const wanted = JSON.stringify({ MODELS, NETTE, IMAGENETTE_CLASSES, v: 2 })
  if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== wanted) {
    for (const { dir, ...m } of MODELS) await writeRandomModel(dir, { ...m, architecture: 'resnet18-cifar' })
    for (const m of NETTE) {
      await writeRandomModel(NETTE_MODELS, { ...m, pair: NETTE_PAIR, width: 4, architecture: 'resnet18', inputSize: 128, classes: IMAGENETTE_CLASSES })
      // what a trained Imagenette card states: its dataset and the evaluation's center crop (weights untouched)
      const file = join(NETTE_MODELS, m.id, 'model.json')
      const spec = JSON.parse(readFileSync(file, 'utf8'))
      spec.input.cropFraction = 128 / 146
      spec.training.dataset = 'Imagenette (random weights, e2e)'
      writeFileSync(file, JSON.stringify(spec, null, 2))
    }
    writeFileSync(stamp, wanted)
  }
}
