/**
 * Browser mode: the built renderer served on 127.0.0.1 with the same handlers and compute workers as the desktop
 * app. Started by `npm run serve` (serve.ts) and by `npm start` where the desktop shell cannot run (start.ts).
 *   [--port N] [--workers N] [--threads N] [--backend NAME] [--models DIR] [--samples DIR] [--settings DIR]
 */
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import createComputeWorker from './compute/worker?nodeWorker'
import { appPaths, packageVersion } from './paths'
import { startServer } from './server'
import { createServices, type Services } from './services'
import { COMPUTE_BACKENDS, type ComputeBackend } from '../shared/settings'
import { openFileSettings } from './settings'

export const BROWSER_MODE_OPTIONS = '[--port N] [--workers N] [--threads N] [--backend NAME] [--models DIR] [--samples DIR] [--settings DIR]'

export interface BrowserMode {
  url: string
  /** Closes the server and the compute workers. */
  stop(): Promise<void>
}

/** Starts the server; throws (with a message meant for the user) on a bad option. */
export async function startBrowserMode(args: string[], builtDir: string): Promise<BrowserMode> {
  const { values } = parseArgs({
    args,
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
  const paths = appPaths(builtDir)
  const settingsDir = values.settings
    ? resolve(values.settings)
    : join(process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'robust-lens')
  const integer = (name: 'workers' | 'threads' | 'port', min: number): number | undefined => {
    const value = values[name] ? Number(values[name]) : undefined
    if (value !== undefined && !(Number.isInteger(value) && value >= min && value <= 65535)) throw new Error(`--${name} must be an integer ≥ ${min}, got "${values[name]}"`)
    return value
  }
  const workers = integer('workers', 1)
  const threads = integer('threads', 1)
  const backend = values.backend as ComputeBackend | undefined
  if (backend !== undefined && !COMPUTE_BACKENDS.includes(backend)) throw new Error(`--backend must be one of ${COMPUTE_BACKENDS.join(', ')}`)
  const port = integer('port', 0) ?? 0
  const settings = await openFileSettings(settingsDir)
  if (settings.recoveredFrom) console.warn(`settings file was corrupt; moved to ${settings.recoveredFrom} and reset to defaults`)
  let services: Services | null = null
  const server = await startServer({
    rendererDir: paths.rendererDir,
    port,
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
  return {
    url: server.url,
    async stop() {
      await server.close()
      await (services as Services | null)?.dispose()
    }
  }
}

/** Prints the URL, then stops cleanly on Ctrl+C (SIGINT) or SIGTERM: server closed, workers ended, exit 0. */
export function announceAndStopOnSignal(mode: BrowserMode): void {
  console.log(`Robust Lens (browser mode) is running. Open this URL in your browser:\n\n  ${mode.url}\n\nPress Ctrl+C to stop.`)
  let stopping = false
  const stop = (): void => {
    if (stopping) return
    stopping = true
    mode.stop().then(
      () => void process.stdout.write('Robust Lens stopped.\n', () => process.exit(0)),
      (error: unknown) => {
        console.error(`while stopping: ${(error as Error).message}`)
        process.exit(1)
      }
    )
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}
