/**
 * `npm start` on a machine without the Electron binary (project `browser-mode`): the real npm script (build, then
 * out/main/start.js) says why in one line, falls back to browser mode, prints the URL with its token; Chromium opens
 * it and a prediction runs on the server's own workers; Ctrl+C (SIGINT to the process group, as a terminal sends it)
 * stops everything with exit code 0 and no stack trace. "Without the binary" is made true on any machine by pointing
 * ELECTRON_OVERRIDE_DIST_PATH at an empty folder.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, test } from '@playwright/test'
import { FAST_MODELS, ROOT, SAMPLES_DIR } from './paths'

test('npm start without the Electron binary serves the app in browser mode and stops on Ctrl+C', async ({ page }) => {
  test.setTimeout(180_000) // npm start builds first (12 s idle, more on a loaded 2-core machine)
  const env: NodeJS.ProcessEnv = { ...process.env, ELECTRON_OVERRIDE_DIST_PATH: mkdtempSync(join(tmpdir(), 'rl-no-electron-')) }
  delete env.ELECTRON_EXEC_PATH
  const settings = mkdtempSync(join(tmpdir(), 'rl-start-settings-'))
  const args = ['start', '--', '--no-open', '--port', '0', '--workers', '1', '--models', FAST_MODELS, '--samples', SAMPLES_DIR, '--settings', settings]
  // its own process group, so the test can send SIGINT to npm, sh and node together, like Ctrl+C in a terminal
  const child = spawn('npm', args, { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (d: Buffer) => (output += d.toString()))
  child.stderr.on('data', (d: Buffer) => (output += d.toString()))
  const exited = new Promise<string>((resolve) => child.once('exit', (code, signal) => resolve(`${code} ${signal}`)))
  try {
    await expect.poll(() => /http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]+/.test(output) || child.exitCode !== null, { timeout: 150_000 }).toBe(true)
    const url = /http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]+/.exec(output)?.[0]
    expect(url, output).toBeTruthy()
    const fallback = output.split('\n').filter((line) => line.startsWith('npm start:'))
    expect(fallback).toEqual([expect.stringMatching(/^npm start: no Electron binary \(.*\) — starting browser mode instead/)])

    await page.goto(url!)
    await expect(page.getByTestId('backend')).toHaveText(/^(onnxruntime|wasm|cpu|tensorflow|tensorflow-gpu)$/)
    await page.getByTestId('samples-toggle').click()
    await page.getByTestId('sample-cat-chelsea.jpg').click()
    await expect(page.getByTestId('top5-standard').locator('li')).toHaveCount(5)
    await expect(page.getByTestId('top5-robust').locator('li')).toHaveCount(5)
    await expect(page.getByTestId('top5-standard').locator('li').first()).toContainText('%')
  } finally {
    if (child.exitCode === null) process.kill(-child.pid!, 'SIGINT')
  }
  // npm re-raises the SIGINT it forwarded (as in a terminal); the server itself closed cleanly and left nothing behind
  expect(await exited, output).toMatch(/^(0 null|null SIGINT)$/)
  expect(output).toContain('Robust Lens stopped.')
  expect(() => process.kill(-child.pid!, 0)).toThrow(/ESRCH/)
  expect(output).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m) // no stack trace anywhere
  expect(output).not.toMatch(/Error:/)
})
