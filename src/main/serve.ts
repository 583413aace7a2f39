/**
 * `npm run serve`: Robust Lens in a browser, where the desktop shell cannot run (no Electron binary). Same handlers,
 * same compute workers; prints the URL (with its one-time token) to open.
 *   node out/main/serve.js [--port N] [--workers N] [--threads N] [--backend NAME] [--models DIR] [--samples DIR] [--settings DIR]
 */
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import createComputeWorker from './compute/worker?nodeWorker'
import { appPaths, packageVersion } from './paths'
import { startServer } from './server'
import { createServices, type Services } from './services'
import { openFileSettings } from './settings'
import { COMPUTE_BACKENDS, type ComputeBackend } from '../shared/settings'

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      workers: { type: 'string' },
      threads: { type: 'string' },
      backend: { type: 'string' },
      models: { type: 'string' },
      samples: { type: 'string' },
      settings: { type: 'string' }
    }
  })
  const paths = appPaths(import.meta.dirname)
  const settingsDir = values.settings
    ? resolve(values.settings)
    : join(process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'robust-lens')
  const settings = await openFileSettings(settingsDir)
  if (settings.recoveredFrom) console.warn(`settings file was corrupt; moved to ${settings.recoveredFrom} and reset to defaults`)
  const positive = (name: 'workers' | 'threads'): number | undefined => {
    const value = values[name] ? Number(values[name]) : undefined
    if (value !== undefined && !(Number.isInteger(value) && value >= 1)) throw new Error(`--${name} must be a positive integer`)
    return value
  }
  const workers = positive('workers')
  const threads = positive('threads')
  const backend = values.backend as ComputeBackend | undefined
  if (backend !== undefined && !COMPUTE_BACKENDS.includes(backend)) throw new Error(`--backend must be one of ${COMPUTE_BACKENDS.join(', ')}`)
  let services: Services | null = null
  const server = await startServer({
    rendererDir: paths.rendererDir,
    port: Number(values.port),
    createHandlers: (emit) => {
      services = createServices({
        mode: 'browser',
        version: packageVersion(paths.root),
        modelsDir: values.models ? resolve(values.models) : paths.modelsDir,
        samplesDir: values.samples ? resolve(values.samples) : paths.samplesDir,
        settings,
        emit,
        workerFactory: () => createComputeWorker({}),
        poolSize: workers,
        poolThreads: threads,
        backend,
        log: (message) => console.warn(message)
      })
      return services.handlers
    }
  })
  console.log(`Robust Lens (browser mode) is running. Open this URL in your browser:\n\n  ${server.url}\n\nPress Ctrl+C to stop.`)
  const stop = async (): Promise<void> => {
    await server.close()
    await (services as Services | null)?.dispose()
    process.exit(0)
  }
  process.once('SIGINT', () => void stop())
  process.once('SIGTERM', () => void stop())
}

main().catch((error: unknown) => {
  console.error(`npm run serve: ${(error as Error).message}`)
  process.exit(1)
})
