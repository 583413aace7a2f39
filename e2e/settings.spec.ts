/**
 * Settings end to end: the theme follows the system by default and can be forced; views keep their last
 * parameters across a reload; reset to defaults; and the layout at 1280×720 in both themes (screenshots).
 */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { test, expect, dropFiles, screenshot } from './fixtures'
import { SAMPLES_DIR } from './paths'

test('theme follows the system, can be forced dark, and survives a reload', async ({ page }) => {
  await page.emulateMedia({ colorScheme: 'dark' })
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark')
  await page.emulateMedia({ colorScheme: 'light' })
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'light')

  await page.getByTestId('settings-open').click()
  await page.getByTestId('setting-theme').selectOption('dark')
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark')
  await expect.poll(() => page.evaluate(async () => (await window.api.invoke('settings:get')).theme)).toBe('dark')
  await page.keyboard.press('Escape')
  await expect(page.getByTestId('settings')).toBeHidden()
  await page.reload()
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark')
})

test('the saliency parameters and the active view are restored after a reload; reset forgets them', async ({ page }) => {
  await page.getByTestId('smoothing-standard').selectOption('smoothgrad2')
  await page.getByTestId('shared-scale').check()
  await page.getByTestId('tab-attack').click()
  // wait for the debounced writes: the app also sends pending settings on pagehide (unit-tested in
  // settings-export.test.ts), but Playwright drops a binding call made while the page unloads, so here it would not arrive
  await expect.poll(() => page.evaluate(async () => (await window.api.invoke('settings:get')).views.saliency?.['standard.smoothing'])).toBe('smoothgrad2')
  await expect.poll(() => page.evaluate(async () => (await window.api.invoke('settings:get')).views.app?.view)).toBe('attack')
  await page.reload()
  await expect(page.getByTestId('tab-attack')).toHaveAttribute('aria-selected', 'true')
  await page.getByTestId('tab-saliency').click()
  await expect(page.getByTestId('smoothing-standard')).toHaveValue('smoothgrad2')
  await expect(page.getByTestId('shared-scale')).toBeChecked()

  await page.getByTestId('settings-open').click()
  await page.getByTestId('settings-reset').click()
  await page.getByTestId('settings-reset-confirm').click()
  await expect(page.getByTestId('smoothing-standard')).toHaveValue('none')
  await expect(page.getByTestId('shared-scale')).not.toBeChecked()
})

test('layout at 1280×720 in light and dark, keyboard reachable', async ({ page }) => {
  test.setTimeout(60_000)
  await page.setViewportSize({ width: 1280, height: 720 })
  await dropFiles(page, [{ name: 'cat.jpg', mimeType: 'image/jpeg', bytes: readFileSync(resolve(SAMPLES_DIR, 'cat-kitten.jpg')) }])
  await expect(page.getByTestId('top5-standard').locator('li')).toHaveCount(5)
  // keyboard: the view tabs move with the arrow keys, Run is reachable and fires on Enter
  await page.getByTestId('tab-saliency').focus()
  await page.keyboard.press('ArrowRight')
  await expect(page.getByTestId('tab-attack')).toBeFocused()
  await page.keyboard.press('ArrowLeft')
  await expect(page.getByTestId('tab-saliency')).toHaveAttribute('aria-selected', 'true')
  await page.getByTestId('run').focus()
  await page.keyboard.press('Enter')
  await expect(page.getByTestId('status')).toHaveText('Done', { timeout: 45_000 })
  // nothing wider than the window
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
  expect(overflow).toBeLessThanOrEqual(0)
  await page.emulateMedia({ colorScheme: 'light' })
  await page.screenshot({ path: resolve(import.meta.dirname, '.cache/screens/saliency-1280x720-light.png') })
  await page.emulateMedia({ colorScheme: 'dark' })
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark')
  await screenshot(page, 'saliency-dark')
})

test('workers and threads per worker re-lay the compute pool out at once, and jobs still run', async ({ page, bridge }) => {
  await page.getByTestId('settings-open').click()
  await page.getByTestId('setting-workers').selectOption('2')
  await page.getByTestId('setting-threads').selectOption('1')
  await expect(page.getByTestId('layout-note')).toContainText('2 workers × 1 thread now')
  await expect(page.getByTestId('workers')).toHaveText('2')
  await expect(page.getByTestId('threads')).toHaveText('1')
  expect({ workers: bridge.services.pool.size, threads: bridge.services.pool.threads }).toEqual({ workers: 2, threads: 1 })
  await page.keyboard.press('Escape')
  await dropFiles(page, [{ name: 'cat.jpg', mimeType: 'image/jpeg', bytes: readFileSync(resolve(SAMPLES_DIR, 'cat-kitten.jpg')) }])
  await page.getByTestId('run').click()
  await expect(page.getByTestId('status')).toHaveText('Done', { timeout: 45_000 })
  await expect.poll(() => bridge.services.pool.stats().workers).toBe(2)
})

test('the compute backend setting restarts the workers on the chosen backend; one that cannot start falls back with a notice', async ({ page, bridge }) => {
  await expect(page.getByTestId('backend')).toHaveText('onnxruntime') // the default order's first that starts here
  await page.getByTestId('settings-open').click()
  await page.getByTestId('setting-backend').selectOption('wasm')
  await expect(page.getByTestId('backend')).toHaveText('wasm', { timeout: 30_000 })
  await expect(page.getByTestId('backend-note')).toContainText('wasm now')
  await expect(page.getByTestId('backend-notice')).toHaveCount(0)
  // tfjs-node is not installed here: the order goes on to the next backend that starts, and says so
  await page.getByTestId('setting-backend').selectOption('tensorflow')
  await expect(page.getByTestId('backend')).toHaveText('onnxruntime', { timeout: 30_000 })
  await expect(page.getByTestId('backend-notice')).toContainText('backend tensorflow is not available here')
  await page.keyboard.press('Escape')
  await dropFiles(page, [{ name: 'cat.jpg', mimeType: 'image/jpeg', bytes: readFileSync(resolve(SAMPLES_DIR, 'cat-kitten.jpg')) }])
  await page.getByTestId('run').click()
  await expect(page.getByTestId('status')).toHaveText('Done', { timeout: 45_000 })
  expect(await bridge.services.pool.backend()).toBe('onnxruntime')
})
