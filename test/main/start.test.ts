/**
 * `npm start`'s choice of mode (src/main/start-mode.ts) with the launchers mocked, and the real desktop launcher's
 * "could not start" detection against small node scripts standing in for Electron.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it, vi } from 'vitest'
import type { ElectronBinary } from '../../src/main/electron-binary'
import { browserOpener, launchDesktop, openInBrowser, parseStartArgs, runStart, type DesktopOutcome, type StartEnvironment } from '../../src/main/start-mode'

const PRESENT: ElectronBinary = { ok: true, path: '/opt/electron/electron' }
const MISSING: ElectronBinary = { ok: false, reason: 'the Electron binary is not downloaded' }

function environment(options: { binary?: ElectronBinary; desktop?: DesktopOutcome; argv?: string[]; env?: NodeJS.ProcessEnv; platform?: NodeJS.Platform; browserFails?: boolean }) {
  const lines: string[] = []
  const launchDesktop = vi.fn(async (_binary: string, _args: string[]) => options.desktop ?? { started: true as const, exitCode: 0 })
  const launchBrowser = vi.fn(async (_args: string[], _open: boolean) => {
    if (options.browserFails) throw new Error('--port must be an integer ≥ 0, got "x"')
  })
  const env: StartEnvironment = {
    argv: options.argv ?? [],
    env: options.env ?? { DISPLAY: ':0' },
    platform: options.platform ?? 'linux',
    findElectron: () => options.binary ?? PRESENT,
    launchDesktop,
    launchBrowser,
    log: (line) => lines.push(line)
  }
  return { env, lines, launchDesktop, launchBrowser }
}

describe('npm start chooses the mode', () => {
  it('starts the desktop app when the binary is present, and exits with its code', async () => {
    const t = environment({ desktop: { started: true, exitCode: 0 } })
    expect(await runStart(t.env)).toEqual({ mode: 'desktop', exit: 0 })
    expect(t.launchDesktop).toHaveBeenCalledWith(PRESENT.ok && PRESENT.path, [])
    expect(t.launchBrowser).not.toHaveBeenCalled()
    expect(t.lines).toEqual([])
  })

  it('says why in one line and starts browser mode when the binary is missing', async () => {
    const t = environment({ binary: MISSING, argv: ['--port', '8080'] })
    expect(await runStart(t.env)).toEqual({ mode: 'browser', serving: true })
    expect(t.launchDesktop).not.toHaveBeenCalled()
    expect(t.launchBrowser).toHaveBeenCalledWith(['--port', '8080'], true)
    expect(t.lines).toHaveLength(1)
    expect(t.lines[0]).not.toContain('\n')
    expect(t.lines[0]).toMatch(/no Electron binary \(the Electron binary is not downloaded; .*npx install-electron.*\) — starting browser mode instead/)
    expect(t.lines[0]).toContain('npm run serve')
  })

  it('falls back to browser mode when Electron fails to start', async () => {
    const t = environment({ desktop: { started: false, reason: 'Electron exited with code 1 after 0.2 s' } })
    expect(await runStart(t.env)).toEqual({ mode: 'browser', serving: true })
    expect(t.launchDesktop).toHaveBeenCalledOnce()
    expect(t.launchBrowser).toHaveBeenCalledOnce()
    expect(t.lines).toEqual([expect.stringMatching(/^npm start: the desktop app could not start \(Electron exited with code 1 after 0\.2 s\) — starting browser mode instead/)])
  })

  it('does not try a window on Linux without a display', async () => {
    const t = environment({ env: {} })
    expect(await runStart(t.env)).toEqual({ mode: 'browser', serving: true })
    expect(t.launchDesktop).not.toHaveBeenCalled()
    expect(t.lines[0]).toContain('no display')
  })

  it('--browser and ROBUST_LENS_MODE=browser force browser mode even with a working binary', async () => {
    for (const options of [{ argv: ['--browser'] }, { env: { DISPLAY: ':0', ROBUST_LENS_MODE: 'browser' } }]) {
      const t = environment(options)
      expect(await runStart(t.env)).toEqual({ mode: 'browser', serving: true })
      expect(t.launchDesktop).not.toHaveBeenCalled()
      expect(t.lines).toEqual([])
    }
  })

  it('--desktop never falls back: a missing binary or a failed start is an error with the reason', async () => {
    const missing = environment({ binary: MISSING, argv: ['--desktop'] })
    expect(await runStart(missing.env)).toEqual({ mode: 'none', exit: 1 })
    expect(missing.launchBrowser).not.toHaveBeenCalled()
    expect(missing.lines.join('\n')).toMatch(/cannot run here: no Electron binary[\s\S]*npm run serve/)

    const failing = environment({ env: { DISPLAY: ':0', ROBUST_LENS_MODE: 'desktop' }, desktop: { started: false, reason: 'Electron exited with code 1 after 0.1 s' } })
    expect(await runStart(failing.env)).toEqual({ mode: 'none', exit: 1 })
    expect(failing.launchBrowser).not.toHaveBeenCalled()
  })

  it('a flag wins over ROBUST_LENS_MODE; a bad value or contradictory flags are usage errors', async () => {
    expect(parseStartArgs(['--desktop'], { ROBUST_LENS_MODE: 'browser' }).forced).toBe('desktop')
    const bad = environment({ env: { ROBUST_LENS_MODE: 'electron' } })
    expect(await runStart(bad.env)).toEqual({ mode: 'none', exit: 2 })
    expect(bad.lines[0]).toContain('ROBUST_LENS_MODE must be "desktop" or "browser", got "electron"')
    const both = environment({ argv: ['--desktop', '--browser'] })
    expect(await runStart(both.env)).toEqual({ mode: 'none', exit: 2 })
    expect(both.launchDesktop).not.toHaveBeenCalled()
  })

  it('passes --no-open to browser mode and reports a browser mode that cannot start', async () => {
    const t = environment({ argv: ['--browser', '--no-open', '--port', 'x'], browserFails: true })
    expect(await runStart(t.env)).toEqual({ mode: 'none', exit: 1 })
    expect(t.launchBrowser).toHaveBeenCalledWith(['--port', 'x'], false)
    expect(t.lines).toEqual(['npm start: browser mode could not start: --port must be an integer ≥ 0, got "x"'])
  })
})

describe('the desktop launcher tells "cannot start" from "ran and exited"', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rl-start-'))
  const script = (name: string, body: string): string => {
    const file = join(dir, name)
    writeFileSync(file, body)
    return file
  }
  const run = (file: string, startupMs: number) => launchDesktop(process.execPath, [], { appDir: file, startupMs })

  it('an error exit within the start-up window is a failure to start, with the code', async () => {
    const outcome = await run(script('fail.cjs', 'process.exit(3)'), 30_000)
    expect(outcome).toEqual({ started: false, reason: expect.stringMatching(/^Electron exited with code 3 after \d+\.\d s$/) })
  })

  it('a binary that cannot be spawned is a failure to start', async () => {
    const outcome = await launchDesktop(join(dir, 'no-such-electron'), [], { appDir: dir })
    expect(outcome).toEqual({ started: false, reason: expect.stringContaining('ENOENT') })
  })

  it('a clean exit (window closed) is never a failure, however early', async () => {
    expect(await run(script('ok.cjs', 'process.exit(0)'), 30_000)).toEqual({ started: true, exitCode: 0 })
  })

  it('an error exit after the start-up window is the app\'s own exit code (no fallback)', async () => {
    expect(await run(script('late.cjs', 'setTimeout(() => process.exit(4), 400)'), 50)).toEqual({ started: true, exitCode: 4 })
  })

  it('passes the app folder and the extra arguments to Electron', async () => {
    const file = script('args.cjs', 'process.exit(process.argv.slice(2).join(",") === "--a,b" ? 0 : 9)')
    expect(await launchDesktop(process.execPath, ['--a', 'b'], { appDir: file })).toEqual({ started: true, exitCode: 0 })
  })
})

describe('opening the default browser', () => {
  const url = 'http://127.0.0.1:4000/?token=abc_DEF-123'

  it('uses the platform opener, and none on Linux without a display', () => {
    expect(browserOpener(url, 'darwin', {})).toEqual({ command: 'open', args: [url] })
    expect(browserOpener(url, 'win32', {})).toEqual({ command: 'cmd', args: ['/c', 'start', '""', url] })
    expect(browserOpener(url, 'linux', { DISPLAY: ':0' })).toEqual({ command: 'xdg-open', args: [url] })
    expect(browserOpener(url, 'linux', {})).toBeNull()
  })

  it('never throws when no opener exists or spawning fails', () => {
    expect(() => openInBrowser(url, 'linux', { DISPLAY: ':0', PATH: '/nonexistent' })).not.toThrow()
    const throwing = (() => {
      throw new Error('spawn EPERM')
    }) as unknown as typeof import('node:child_process').spawn
    expect(openInBrowser(url, 'darwin', {}, throwing)).toBe(false)
    expect(openInBrowser(url, 'linux', {}, throwing)).toBe(false)
  })
})
