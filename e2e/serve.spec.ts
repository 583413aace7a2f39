/**
 * Browser mode for real: the built `serve.js` (from the e2e snapshot of out/) as a child process, Chromium opening the URL it prints,
 * the API over its WebSocket, computing on its own workers.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test as base, expect } from '@playwright/test'
import WebSocket from 'ws'
import { BUILT, FAST_MODELS, ROOT, SAMPLES_DIR, SCREENS } from './paths'

interface Served {
  url: string
  origin: string
  token: string
  output: () => string
}

const test = base.extend<{}, { served: Served }>({
  served: [
    async ({}, use) => {
      const child: ChildProcess = spawn(process.execPath, [join(BUILT, 'main/serve.js'), '--port', '0', '--workers', '1', '--models', FAST_MODELS, '--samples', SAMPLES_DIR, '--settings', mkdtempSync(join(tmpdir(), 'rl-serve-'))], {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe']
      })
      let output = ''
      child.stdout?.on('data', (d: Buffer) => (output += d.toString()))
      child.stderr?.on('data', (d: Buffer) => (output += d.toString()))
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`serve.js printed no URL within 20 s:\n${output}`)), 20_000)
        const check = (): void => {
          const match = /http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]+/.exec(output)
          if (match) {
            clearTimeout(timer)
            resolve(match[0])
          }
        }
        child.stdout?.on('data', check)
        child.once('exit', (code) => reject(new Error(`serve.js exited with ${code}:\n${output}`)))
      })
      const parsed = new URL(url)
      await use({ url, origin: parsed.origin, token: parsed.searchParams.get('token')!, output: () => output })
      child.kill('SIGTERM')
    },
    { scope: 'worker' }
  ]
})

function tryWebSocket(url: string, origin: string): Promise<'open' | string> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { origin })
    ws.on('open', () => {
      ws.close()
      resolve('open')
    })
    ws.on('error', (error) => resolve(error.message))
  })
}

test('serve prints a 127.0.0.1 URL with a token and refuses the page without it', async ({ served }) => {
  expect(served.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=/)
  expect(served.token.length).toBeGreaterThanOrEqual(32)
  expect((await fetch(`${served.origin}/`)).status).toBe(403)
  expect((await fetch(`${served.origin}/?token=wrong${served.token}`)).status).toBe(403)
  expect((await fetch(`${served.origin}/assets/`)).status).toBe(403)
  expect((await fetch(served.url)).status).toBe(200)
})

test('the WebSocket refuses a wrong token and a foreign Origin', async ({ served }) => {
  const ws = `${served.origin.replace('http', 'ws')}/ws`
  expect(await tryWebSocket(`${ws}?token=${served.token}`, served.origin)).toBe('open')
  expect(await tryWebSocket(`${ws}?token=nope`, served.origin)).toContain('403')
  expect(await tryWebSocket(`${ws}`, served.origin)).toContain('403')
  expect(await tryWebSocket(`${ws}?token=${served.token}`, 'https://evil.example')).toContain('403')
  expect(await tryWebSocket(`${ws}?token=${served.token}`, 'http://localhost:1')).toContain('403')
})

test('in Chromium, the served page runs a dropped image through the real workers', async ({ page, served }) => {
  await page.goto(served.url)
  await expect(page.getByTestId('backend')).toHaveText(/^(onnxruntime|wasm|cpu|tensorflow|tensorflow-gpu)$/)
  await expect(page.getByTestId('workers')).toHaveText('1')
  const bytes = readFileSync(join(SAMPLES_DIR, 'bird-duck.jpg')).toString('base64')
  const dataTransfer = await page.evaluateHandle((b64) => {
    const bin = atob(b64)
    const arr = new Uint8Array(bin.length)
    for (let i = 0; i < bin.length; i++) arr[i] = bin.charCodeAt(i)
    const dt = new DataTransfer()
    dt.items.add(new File([arr], 'bird-duck.jpg', { type: 'image/jpeg' }))
    return dt
  }, bytes)
  await page.getByTestId('drop-zone').dispatchEvent('drop', { dataTransfer })
  await expect(page.getByTestId('image-strip').getByRole('img')).toHaveCount(1)
  const attackTab = page.getByRole('tab', { name: 'Attack', exact: true })
  if (await attackTab.count()) await attackTab.click()
  await page.getByTestId('run').click()
  await expect(page.getByTestId('result-standard')).toHaveAttribute('data-state', 'done')
  await expect(page.getByTestId('result-robust')).toHaveAttribute('data-state', 'done')
  await expect(page.getByTestId('chart-standard')).toBeVisible()
  await page.screenshot({ path: join(SCREENS, '10-browser-mode.png'), fullPage: true })
})
