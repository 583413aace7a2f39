/**
 * Large ε end to end: the lab's exercise V defaults (scaled for 32×32 and stated), a targeted morph on the robust
 * model and the standard one for contrast, shown as filmstrips with per-frame probabilities.
 */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { test, expect, dropFiles, screenshot } from './fixtures'
import { SAMPLES_DIR } from './paths'

test('the large-ε morph shows a filmstrip with per-frame class probabilities on both models', async ({ page }) => {
  test.setTimeout(90_000)
  await dropFiles(page, [{ name: 'bird-owl.jpg', mimeType: 'image/jpeg', bytes: readFileSync(resolve(SAMPLES_DIR, 'bird-owl.jpg')) }])
  await expect(page.getByTestId('thumb')).toHaveCount(1)
  await expect(page.getByTestId('top5-robust').locator('li')).toHaveCount(5)
  await page.getByTestId('tab-large-eps').click()
  // lab V: ε 100 / step 5 at 224² → ×1/7 at 32², target "primate" → a CIFAR class, both stated
  await expect(page.getByTestId('preset-note')).toContainText('ε 14.29')
  await expect(page.getByTestId('preset-note')).toContainText('primate')
  await page.getByTestId('run').click()
  await expect(page.getByTestId('result-robust')).toHaveAttribute('data-state', 'done', { timeout: 60_000 })
  await expect(page.getByTestId('result-standard')).toHaveAttribute('data-state', 'done')
  const strip = page.getByTestId('filmstrip-robust')
  // frame 0 + 10 kept iterates, each with a step and probabilities
  await expect(strip.locator(':scope > li')).toHaveCount(11)
  await expect(strip.locator(':scope > li').last()).toContainText('step 20')
  await expect(strip.locator(':scope > li').last()).toContainText('p(horse)')
  await expect(page.getByTestId('filmstrip-standard').locator(':scope > li')).toHaveCount(11)
  await expect(page.getByTestId('chart-robust')).toBeVisible()
  await screenshot(page, 'large-eps')
  // the dark theme follows the system by default
  await page.emulateMedia({ colorScheme: 'dark' })
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark')
  await screenshot(page, 'large-eps-dark')
})
