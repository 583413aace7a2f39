/**
 * Where the app's files are. Development and `npm run serve`: the repository (out/main/*.js → ../..).
 * Packaged: electron-builder copies resources/models and resources/samples next to app.asar
 * (extraResources → process.resourcesPath). ROBUST_LENS_MODELS / ROBUST_LENS_SAMPLES override both.
 */
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'

export interface AppPaths {
  root: string
  modelsDir: string
  samplesDir: string
  rendererDir: string
}

/** `builtDir` = the folder of the running out/main/*.js file (import.meta.dirname). */
export function appPaths(builtDir: string, packagedResources?: string, env: NodeJS.ProcessEnv = process.env): AppPaths {
  const root = resolve(builtDir, '../..')
  const resources = packagedResources ?? join(root, 'resources')
  return {
    root,
    modelsDir: env.ROBUST_LENS_MODELS ? resolve(env.ROBUST_LENS_MODELS) : join(resources, 'models'),
    samplesDir: env.ROBUST_LENS_SAMPLES ? resolve(env.ROBUST_LENS_SAMPLES) : join(resources, 'samples'),
    rendererDir: join(root, 'out', 'renderer')
  }
}

/**
 * The project folder above `dir`: the nearest folder with a package.json. For code that may run from a source file
 * (tests), from out/main/ or from a bundled chunk in out/main/chunks/, where a fixed '../..' points elsewhere.
 */
export function projectRootOf(dir: string): string {
  for (let at = resolve(dir); ; at = dirname(at)) {
    if (existsSync(join(at, 'package.json'))) return at
    if (dirname(at) === at) throw new Error(`no package.json above ${dir}`)
  }
}

export function packageVersion(root: string): string {
  const file = join(root, 'package.json')
  if (!existsSync(file)) return '0.0.0'
  return (JSON.parse(readFileSync(file, 'utf8')) as { version?: string }).version ?? '0.0.0'
}
