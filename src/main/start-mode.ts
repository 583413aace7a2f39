/**
 * `npm start`'s choice: the desktop app where the Electron binary is present and starts, otherwise browser mode
 * (the same build and handlers as `npm run serve`) with a one-line reason. `--desktop` / `--browser` (or
 * ROBUST_LENS_MODE=desktop|browser) force a mode. The launchers are injected so the choice is unit-tested without
 * Electron (test/main/start.test.ts); start.ts wires the real ones.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process'
import { GET_ELECTRON, type ElectronBinary } from './electron-binary'

export type Mode = 'desktop' | 'browser'

export const START_USAGE = `npm start [-- --desktop | --browser] [--no-open] [browser-mode options]
  (no flag)    the desktop app when the Electron binary is present and starts, else browser mode
  --desktop    only the desktop app (fails, with the reason, when Electron cannot run)
  --browser    only browser mode: the app in your browser, like \`npm run serve\`
  --no-open    browser mode: print the URL but do not open a browser
  ROBUST_LENS_MODE=desktop|browser does what the flags do (a flag wins).
  Browser-mode options: --port N --workers N --threads N --models DIR --samples DIR --settings DIR`

export interface StartRequest {
  forced: Mode | null
  open: boolean
  help: boolean
  /** Everything else: browser mode's options, or arguments for the desktop app. */
  rest: string[]
}

export class StartUsageError extends Error {}

export function parseStartArgs(argv: string[], env: NodeJS.ProcessEnv): StartRequest {
  let forced: Mode | null = null
  const fromEnv = env.ROBUST_LENS_MODE?.trim()
  if (fromEnv) {
    if (fromEnv !== 'desktop' && fromEnv !== 'browser') throw new StartUsageError(`ROBUST_LENS_MODE must be "desktop" or "browser", got "${fromEnv}"`)
    forced = fromEnv
  }
  let flag: Mode | null = null
  let open = true
  let help = false
  const rest: string[] = []
  for (const arg of argv) {
    if (arg === '--desktop' || arg === '--browser') {
      const mode = arg.slice(2) as Mode
      if (flag && flag !== mode) throw new StartUsageError('--desktop and --browser exclude each other')
      flag = mode
    } else if (arg === '--no-open') open = false
    else if (arg === '--help' || arg === '-h') help = true
    else rest.push(arg)
  }
  return { forced: flag ?? forced, open, help, rest }
}

/** Linux and the BSDs need an X11 or Wayland display for a window (or for a browser to open in). */
export function displayProblem(platform: NodeJS.Platform, env: NodeJS.ProcessEnv): string | null {
  if (platform === 'darwin' || platform === 'win32') return null
  return env.DISPLAY || env.WAYLAND_DISPLAY ? null : 'no display: $DISPLAY and $WAYLAND_DISPLAY are not set'
}

export type DesktopOutcome =
  /** Exited with an error (or could not be spawned) within the start-up window: Electron cannot run here. */
  | { started: false; reason: string }
  /** Ran, and has exited with this code (0 = the window was closed). */
  | { started: true; exitCode: number }

export interface StartEnvironment {
  argv: string[]
  env: NodeJS.ProcessEnv
  platform: NodeJS.Platform
  findElectron(): ElectronBinary
  launchDesktop(binary: string, args: string[]): Promise<DesktopOutcome>
  /** Starts browser mode and resolves once it serves (it then runs until Ctrl+C); rejects on a bad option. */
  launchBrowser(args: string[], open: boolean): Promise<void>
  log(line: string): void
}

/** `exit`: leave with this code now; `serving`: browser mode is running (the process lives until Ctrl+C). */
export type StartResult = { mode: 'desktop' | 'none'; exit: number } | { mode: 'browser'; serving: true }

const FALLBACK = 'starting browser mode instead: the same app in your browser, as `npm run serve` (`npm start -- --desktop` insists on the desktop app)'

export async function runStart(e: StartEnvironment): Promise<StartResult> {
  let request: StartRequest
  try {
    request = parseStartArgs(e.argv, e.env)
  } catch (error) {
    e.log(`npm start: ${(error as Error).message}\n\n${START_USAGE}`)
    return { mode: 'none', exit: 2 }
  }
  if (request.help) {
    e.log(START_USAGE)
    return { mode: 'none', exit: 0 }
  }
  const browser = async (): Promise<StartResult> => {
    try {
      await e.launchBrowser(request.rest, request.open)
      return { mode: 'browser', serving: true }
    } catch (error) {
      e.log(`npm start: browser mode could not start: ${(error as Error).message}`)
      return { mode: 'none', exit: 1 }
    }
  }
  if (request.forced === 'browser') return browser()

  const binary = e.findElectron()
  const problem = !binary.ok ? `no Electron binary (${binary.reason}; ${GET_ELECTRON})` : displayProblem(e.platform, e.env)
  if (problem) {
    if (request.forced === 'desktop') {
      e.log(
        `npm start: the desktop app was asked for (--desktop or ROBUST_LENS_MODE=desktop), but it cannot run here: ${problem}.\n` +
          'Browser mode runs the same app in your browser: `npm start` without --desktop, or `npm run serve`.'
      )
      return { mode: 'none', exit: 1 }
    }
    e.log(`npm start: ${problem} — ${FALLBACK}.`)
    return browser()
  }
  const outcome = await e.launchDesktop((binary as { path: string }).path, request.rest)
  if (outcome.started) return { mode: 'desktop', exit: outcome.exitCode }
  if (request.forced === 'desktop') {
    e.log(`npm start: the desktop app could not start (${outcome.reason}).`)
    return { mode: 'none', exit: 1 }
  }
  e.log(`npm start: the desktop app could not start (${outcome.reason}) — ${FALLBACK}.`)
  return browser()
}

export interface DesktopLaunchOptions {
  /** The app folder Electron runs (package.json "main" → out/main/index.js). */
  appDir: string
  /** An error exit within this time means Electron cannot run here (missing libraries, no display, sandbox). */
  startupMs?: number
  spawnImpl?: (command: string, args: string[], options: SpawnOptions) => ChildProcess
}

/**
 * Runs Electron with the terminal's stdio and resolves when it exits. Ctrl+C reaches Electron (same process group;
 * forwarded too, for a signal sent to this process alone) and is never mistaken for a failure to start.
 */
export function launchDesktop(binary: string, args: string[], options: DesktopLaunchOptions): Promise<DesktopOutcome> {
  const startupMs = options.startupMs ?? 10_000
  const spawnImpl = options.spawnImpl ?? spawn
  return new Promise((resolve) => {
    const began = Date.now()
    let stopRequested = false
    let child: ChildProcess
    const forward = (signal: NodeJS.Signals) => (): void => {
      stopRequested = true
      child?.kill(signal)
    }
    const onInt = forward('SIGINT')
    const onTerm = forward('SIGTERM')
    process.on('SIGINT', onInt)
    process.on('SIGTERM', onTerm)
    const done = (outcome: DesktopOutcome): void => {
      process.off('SIGINT', onInt)
      process.off('SIGTERM', onTerm)
      resolve(outcome)
    }
    try {
      child = spawnImpl(binary, [options.appDir, ...args], { stdio: 'inherit' })
    } catch (error) {
      done({ started: false, reason: `${binary}: ${(error as Error).message}` })
      return
    }
    child.once('error', (error) => done({ started: false, reason: `${binary}: ${error.message}` }))
    child.once('exit', (code, signal) => {
      const seconds = ((Date.now() - began) / 1000).toFixed(1)
      const failed = code !== 0 && !stopRequested
      if (failed && Date.now() - began < startupMs) {
        done({ started: false, reason: `Electron exited with ${signal ? `signal ${signal}` : `code ${code}`} after ${seconds} s` })
      } else done({ started: true, exitCode: code ?? (signal === 'SIGINT' ? 130 : 1) })
    })
  })
}

/** The command that opens a URL in the default browser, or null where none can (no display). */
export function browserOpener(url: string, platform: NodeJS.Platform, env: NodeJS.ProcessEnv): { command: string; args: string[] } | null {
  if (platform === 'darwin') return { command: 'open', args: [url] }
  // `start`'s first quoted argument is the window title; the URL (base64url token) has no characters cmd treats specially
  if (platform === 'win32') return { command: 'cmd', args: ['/c', 'start', '""', url] }
  if (displayProblem(platform, env)) return null // xdg-open would pick a text-mode browser and take over the terminal
  return { command: 'xdg-open', args: [url] }
}

/** Best effort: never throws, never waits, never fails the start (a missing opener only loses the convenience). */
export function openInBrowser(url: string, platform: NodeJS.Platform, env: NodeJS.ProcessEnv, spawnImpl = spawn): boolean {
  const opener = browserOpener(url, platform, env)
  if (!opener) return false
  try {
    const child = spawnImpl(opener.command, opener.args, { stdio: 'ignore', detached: true, windowsVerbatimArguments: platform === 'win32' })
    child.on('error', () => {})
    child.unref()
    return true
  } catch {
    return false
  }
}
