/**
 * Saliency end to end: drop a sample photo, run saliency on both models (real handlers, real workers, random-weight
 * e2e models), switch to SmoothGrad, export an experiment card and re-open it, screenshot.
 */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { test, expect, dropFiles, screenshot } from './fixtures'
import { SAMPLES_DIR } from './paths'

const photo = (name: string): { name: string; mimeType: string; bytes: Buffer } => ({ name, mimeType: 'image/jpeg', bytes: readFileSync(resolve(SAMPLES_DIR, name)) })

test('saliency runs on both models for a dropped photo, with SmoothGrad and a shared scale', async ({ page }) => {
  test.setTimeout(60_000)
  await expect(page.getByTestId('backend')).not.toHaveText('…')
  await dropFiles(page, [photo('cat-chelsea.jpg')])
  await expect(page.getByTestId('thumb')).toHaveCount(1)
  await expect(page.getByTestId('model-input')).toBeVisible()
  // the top-5 of both models appear without pressing anything
  await expect(page.getByTestId('top5-standard').locator('li')).toHaveCount(5)
  await expect(page.getByTestId('top5-robust').locator('li')).toHaveCount(5)

  await expect(page.getByTestId('tab-saliency')).toHaveAttribute('aria-selected', 'true')
  await page.getByTestId('run').click()
  await expect(page.getByTestId('map-standard')).toBeVisible({ timeout: 30_000 })
  await expect(page.getByTestId('map-robust')).toBeVisible()
  await expect(page.getByTestId('status')).toHaveText('Done')
  await expect(page.getByTestId('result-standard')).toContainText('scale')

  // SmoothGrad (paper preset: N = 50, σ = 15 %), shared scale, overlay
  await page.getByTestId('saliency-preset').selectOption('paper')
  await page.getByTestId('shared-scale').check()
  await page.getByTestId('overlay').check()
  await page.getByTestId('run').click()
  await expect(page.getByTestId('status')).toHaveText('Done', { timeout: 45_000 })
  await expect(page.getByTestId('result-robust')).toContainText('σ absolute')
  await expect(page.getByTestId('scale-standard')).toHaveText(await page.getByTestId('scale-robust').innerText())
  await expect(page.getByTestId('convention')).toContainText('SmoothGrad')
  await screenshot(page, 'saliency')
})

test('a corrupt file is refused with a clear message and the loaded images stay', async ({ page }) => {
  await dropFiles(page, [photo('cat-chelsea.jpg')])
  await expect(page.getByTestId('thumb')).toHaveCount(1)
  await dropFiles(page, [{ name: 'broken.jpg', mimeType: 'image/jpeg', bytes: Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 1, 2, 3, 4]) }])
  await expect(page.getByTestId('intake-errors')).toContainText('broken.jpg')
  await expect(page.getByTestId('thumb')).toHaveCount(1)
})

test('an exported experiment card re-opens to the same parameters and crop', async ({ page }) => {
  test.setTimeout(60_000)
  await dropFiles(page, [photo('dog-german-shepherd.jpg')])
  await expect(page.getByTestId('thumb')).toHaveCount(1)
  await page.getByTestId('crop').focus()
  await page.keyboard.press('Shift+ArrowRight')
  await page.getByTestId('smoothing-standard').selectOption('vargrad')
  await page.getByTestId('run').click()
  await expect(page.getByTestId('status')).toHaveText('Done', { timeout: 45_000 })
  const cropBefore = await page.getByTestId('crop').getAttribute('aria-valuetext')

  const downloadPromise = page.waitForEvent('download')
  await page.getByTestId('export-card').click()
  const download = await downloadPromise
  const card = readFileSync(await download.path(), 'utf8')
  expect(JSON.parse(card)).toMatchObject({ format: 'robust-lens/experiment@1', view: 'saliency', params: { 'standard.smoothing': 'vargrad' } })

  // reset the parameter, then drop the card: the image comes back as a new entry with the same crop and params
  await page.getByTestId('smoothing-standard').selectOption('none')
  await dropFiles(page, [{ name: 'card.json', mimeType: 'application/json', bytes: Buffer.from(card) }])
  await expect(page.getByTestId('notice')).toContainText('Opened card.json')
  await expect(page.getByTestId('thumb')).toHaveCount(2)
  await expect(page.getByTestId('smoothing-standard')).toHaveValue('vargrad')
  await expect(page.getByTestId('crop')).toHaveAttribute('aria-valuetext', cropBefore ?? '')

  const pngPromise = page.waitForEvent('download')
  await page.getByTestId('run').click()
  await expect(page.getByTestId('status')).toHaveText('Done', { timeout: 45_000 })
  await page.getByTestId('export-png').click()
  expect((await pngPromise).suggestedFilename()).toMatch(/\.png$/)
})

test('saliency over every loaded image: one batch, the shown image is chosen after the run', async ({ page, bridge }) => {
  test.setTimeout(60_000)
  await dropFiles(page, [photo('cat-chelsea.jpg'), photo('dog-german-shepherd.jpg'), photo('bird-duck.jpg')])
  await expect(page.getByTestId('thumb')).toHaveCount(3)
  await page.getByTestId('all-images').check()
  await page.getByTestId('run').click()
  await expect(page.getByTestId('status')).toHaveText('Done', { timeout: 45_000 })
  const start = bridge.calls.filter((c) => c.channel === 'jobs:start').map((c) => c.args[0] as { images: { shape: number[] }; params: { method: string } })
  expect(start.find((r) => r.params.method === 'saliency')?.images.shape).toEqual([3, 32, 32, 3])
  await expect(page.getByTestId('shown-2')).toBeVisible()
  const before = await page.getByTestId('result-standard').innerText()
  await page.getByTestId('shown-2').click()
  await expect(page.getByTestId('shown-2')).toHaveAttribute('aria-pressed', 'true')
  await expect(page.getByTestId('result-standard')).not.toHaveText(before)
  await screenshot(page, 'saliency-batch')
})
