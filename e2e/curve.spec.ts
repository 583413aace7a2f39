/**
 * Robustness curve end to end: four sample photos (labels from samples.json) and one user photo labelled by the
 * user; below five labelled images the view explains instead of running; then both models over a log-spaced ε grid,
 * n and 95 % Wilson intervals, each image's smallest flipping ε.
 */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { test, expect, dropFiles, screenshot } from './fixtures'
import { SAMPLES_DIR } from './paths'

test('accuracy against ε for both models over the labelled images, with n, 95 % intervals and smallest flipping ε per image', async ({ page }) => {
  test.setTimeout(180_000)
  await expect(page.getByTestId('backend')).not.toHaveText('…')
  // four bundled samples (their label comes from samples.json) and a dropped photo (no label)
  const samples = ['cat-chelsea.jpg', 'dog-german-shepherd.jpg', 'horse-nokota-band.jpg', 'deer-moose.jpg']
  for (const id of samples) {
    await page.getByTestId('samples-toggle').click()
    await page.getByTestId(`sample-${id}`).click()
  }
  await dropFiles(page, [{ name: 'my-photo.jpg', mimeType: 'image/jpeg', bytes: readFileSync(resolve(SAMPLES_DIR, 'bird-owl.jpg')) }])
  await expect(page.getByTestId('thumb')).toHaveCount(5)
  await page.getByTestId('tab-curve').click()

  const rows = page.getByRole('table').locator('tbody tr')
  await expect(rows).toHaveCount(5)
  await expect(rows.filter({ hasText: 'my-photo.jpg' })).toContainText('no label')
  // four labelled images: no curve yet, and the view says why and how to add labels
  await expect(page.getByTestId('curve-labelled')).toContainText('at least 5 labelled images')
  await expect(page.getByTestId('run')).toBeDisabled()
  // the user labels their photo: five labelled images
  await page.getByLabel('true label of my-photo.jpg').selectOption({ label: 'bird' })
  await expect(rows.filter({ hasText: 'my-photo.jpg' })).toContainText('label you picked')
  await expect(page.getByTestId('run')).toBeEnabled()

  // a short grid so the run stays quick: 4 points, 10 steps
  await page.getByLabel('Grid points value').fill('4')
  await page.getByLabel('Grid points value').press('Enter')
  await page.getByLabel('PGD steps value').fill('10')
  await page.getByLabel('PGD steps value').press('Enter')
  await page.getByTestId('run').click()
  await expect(page.getByTestId('result-robust')).toHaveAttribute('data-state', 'done', { timeout: 150_000 })
  for (const role of ['standard', 'robust']) {
    await expect(page.getByTestId(`result-${role}`)).toContainText('clean accuracy')
    await expect(page.getByTestId(`result-${role}`)).toContainText('n = 5 labelled images')
    await expect(page.getByTestId(`result-${role}`)).toContainText(/\(95 % [0-9.]+–[0-9.]+%\)/)
  }
  await expect(page.getByTestId('chart-curve')).toBeVisible()
  // every image has a smallest flipping ε (a number, "> max" or "0 (wrong when clean)") for both models
  for (const row of await rows.all()) await expect(row.locator('td').nth(3)).not.toHaveText('—')
  await screenshot(page, 'curve')
})
