/**
 * Robustness curve end to end: two sample photos (labels from samples.json) and one user photo picked by the user,
 * evaluate both models over a log-spaced ε grid with each image's smallest flipping ε.
 */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { test, expect, dropFiles, screenshot } from './fixtures'
import { SAMPLES_DIR } from './paths'

test('accuracy against ε for both models, with label sources and smallest flipping ε per image', async ({ page }) => {
  test.setTimeout(120_000)
  await expect(page.getByTestId('backend')).not.toHaveText('…')
  // two bundled samples (their label comes from samples.json) and a dropped photo (no label)
  await page.getByTestId('samples-toggle').click()
  const samples = page.getByTestId('samples')
  await samples.locator('[data-testid^="sample-"]').nth(0).click()
  await samples.locator('[data-testid^="sample-"]').nth(1).click()
  await dropFiles(page, [{ name: 'my-photo.jpg', mimeType: 'image/jpeg', bytes: readFileSync(resolve(SAMPLES_DIR, 'bird-owl.jpg')) }])
  await expect(page.getByTestId('thumb')).toHaveCount(3)
  await page.getByTestId('tab-curve').click()

  const rows = page.getByRole('table').locator('tbody tr')
  await expect(rows).toHaveCount(3)
  await expect(rows.filter({ hasText: 'my-photo.jpg' })).toContainText("standard model's clean prediction")
  // the user labels their photo
  await page.getByLabel('true label of my-photo.jpg').selectOption({ label: 'bird' })
  await expect(rows.filter({ hasText: 'my-photo.jpg' })).toContainText('label you picked')

  // a short grid so the run stays quick: 4 points, 10 steps
  await page.getByLabel('Grid points value').fill('4')
  await page.getByLabel('Grid points value').press('Enter')
  await page.getByLabel('PGD steps value').fill('10')
  await page.getByLabel('PGD steps value').press('Enter')
  await page.getByTestId('run').click()
  await expect(page.getByTestId('result-robust')).toHaveAttribute('data-state', 'done', { timeout: 90_000 })
  await expect(page.getByTestId('result-standard')).toContainText('clean accuracy')
  await expect(page.getByTestId('result-robust')).toContainText('clean accuracy')
  await expect(page.getByTestId('chart-curve')).toBeVisible()
  // every image has a smallest flipping ε (a number, "> max" or "0 (wrong when clean)") for both models
  for (const row of await rows.all()) await expect(row.locator('td').nth(3)).not.toHaveText('—')
  await screenshot(page, 'curve')
})
