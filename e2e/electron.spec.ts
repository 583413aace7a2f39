/**
 * The real desktop app (main + preload + renderer in Electron). Reported as skipped, with the reason, where the
 * Electron binary is missing (offline machines); fails when REQUIRE_ELECTRON=1 so a machine that should have it
 * cannot pass silently. Never lets Playwright require('electron') (that would try to download it).
 */
import { resolve } from 'node:path'
import { _electron as electron, expect, test } from '@playwright/test'
import { GET_ELECTRON } from '../src/main/electron-binary'
import { findElectron } from './electron-binary'

const found = findElectron()
test.skip(!found.ok && process.env.REQUIRE_ELECTRON !== '1', `no Electron binary: ${found.ok ? '' : `${found.reason} (${GET_ELECTRON})`}`)

test('the desktop app starts sandboxed with window.api and shows the first screen', async () => {
  if (!found.ok) throw new Error(`REQUIRE_ELECTRON=1 but ${found.reason}`)
  const app = await electron.launch({
    executablePath: found.path,
    args: [resolve(import.meta.dirname, '..'), ...(process.getuid?.() === 0 ? ['--no-sandbox'] : [])]
  })
  try {
    const win = await app.firstWindow()
    await expect(win.getByRole('main')).toBeVisible()
    await expect(win.getByTestId('backend')).toHaveText(/^(onnxruntime|wasm|cpu|tensorflow|tensorflow-gpu)$/, { timeout: 30_000 })
    expect(await win.evaluate(() => ({ api: typeof window.api, require: typeof (window as unknown as { require?: unknown }).require }))).toEqual({ api: 'object', require: 'undefined' })
    // navigation away from the app is refused by the shell
    await win.evaluate(() => void (window.location.href = 'https://example.com/'))
    await win.waitForTimeout(500)
    expect(win.url()).toContain('index.html')
  } finally {
    await app.close()
  }
})
