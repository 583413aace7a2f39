import { existsSync, readdirSync } from 'node:fs'
import { resolve } from 'node:path'

export const ROOT = resolve(import.meta.dirname, '..')
/** What `npm run build` wrote. */
export const OUT = resolve(ROOT, 'out')
export const CACHE = resolve(ROOT, 'e2e/.cache')
/**
 * A snapshot of out/ taken by global-setup: the specs run this, so a build started elsewhere while the suite
 * runs (electron-vite empties out/ first) cannot pull the renderer or the worker chunk from under a test.
 */
export const BUILT = resolve(CACHE, 'out')
export const BRIDGE_BUNDLE = resolve(CACHE, 'bridge.js')
export const MODELS_DIR = resolve(CACHE, 'models')
/** One pair per folder, so the first screen's default pair is the one the test means. */
export const FAST_MODELS = resolve(MODELS_DIR, 'fast')
export const SLOW_MODELS = resolve(MODELS_DIR, 'slow')
/** A random 128 px ImageNet-layout (resnet18) pair with Imagenette's classes and evaluation crop. */
export const NETTE_MODELS = resolve(MODELS_DIR, 'nette128')
export const SCREENS = resolve(CACHE, 'screens')
export const SAMPLES_DIR = resolve(ROOT, 'resources/samples')
/** The e2e model pairs (written by global-setup with the engine's random-weight writer). */
export const FAST_PAIR = 'e2e-fast'
export const SLOW_PAIR = 'e2e-slow'
export const NETTE_PAIR = 'e2e-nette128'
export const IMAGENETTE_CLASSES = ['tench', 'English springer', 'cassette player', 'chain saw', 'church', 'French horn', 'garbage truck', 'gas pump', 'golf ball', 'parachute']

/** The compute worker chunk electron-vite built (from the snapshot): the same file the desktop app runs. */
export function builtWorkerChunk(outDir: string = BUILT): string {
  const dir = resolve(outDir, 'main/chunks')
  const name = existsSync(dir) ? readdirSync(dir).find((n) => /^worker-.*\.js$/.test(n)) : undefined
  if (!name) throw new Error(`no built compute worker in ${dir}: run \`npm run build\` first`)
  return resolve(dir, name)
}
