/**
 * Feature visualization end to end: the coordinate browser (activations on the current image), a visualization
 * from the image on both models, from noise with fake ReLU, and the top-5 / bottom-5 images among the loaded
 * photos plus the bundled samples.
 */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { test, expect, dropFiles, screenshot } from './fixtures'
import { SAMPLES_DIR } from './paths'

test('feature visualization runs on both models, the coordinate grid and the top/bottom images fill in', async ({ page }) => {
  test.setTimeout(120_000)
  await dropFiles(page, [{ name: 'cat-chelsea.jpg', mimeType: 'image/jpeg', bytes: readFileSync(resolve(SAMPLES_DIR, 'cat-chelsea.jpg')) }])
  await expect(page.getByTestId('thumb')).toHaveCount(1)
  await expect(page.getByTestId('top5-robust').locator('li')).toHaveCount(5)
  await page.getByTestId('tab-featureviz').click()
  await expect(page.getByTestId('preset-note')).toContainText('unconstrained')
  // the grid: pick coordinate 5 by clicking its cell (activations computed on the current image)
  const grid = page.getByTestId('feature-grid')
  await expect(grid).toContainText('activation on “cat-chelsea.jpg”', { timeout: 30_000 })
  await grid.getByRole('option', { name: /^coordinate 5:/ }).click()
  await expect(page.getByTestId('feature-index')).toHaveValue('5')
  await expect(grid.getByRole('option', { name: /^coordinate 5:/ })).toHaveAttribute('aria-selected', 'true')

  await page.getByTestId('run').click()
  await expect(page.getByTestId('result-standard')).toHaveAttribute('data-state', 'done', { timeout: 60_000 })
  await expect(page.getByTestId('result-robust')).toHaveAttribute('data-state', 'done')
  await expect(page.getByTestId('result-robust')).toContainText('r_5:')
  await expect(page.getByTestId('fv-image-robust')).toBeVisible()

  // from noise with fake ReLU
  await page.getByTestId('start-noise').check()
  await page.getByTestId('fake-relu').check()
  await page.getByTestId('run').click()
  await expect(page.getByTestId('status')).toHaveText('Done', { timeout: 60_000 })
  await expect(page.getByTestId('result-standard')).toContainText('noise start, fake ReLU')

  // top-5 / bottom-5 among the loaded photo + the samples
  await page.getByTestId('rank-images').click()
  await expect(page.getByTestId('ranked-robust')).toBeVisible({ timeout: 60_000 })
  await expect(page.getByTestId('ranked-robust').getByRole('img')).toHaveCount(10)
  await expect(page.getByTestId('ranked-standard').getByRole('img')).toHaveCount(10)
  await screenshot(page, 'featureviz')
})
