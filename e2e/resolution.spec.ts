/**
 * The app follows the model's input, on a random-weight 128 px ImageNet-layout pair (`resnet18`, width 4,
 * Imagenette's classes and 128/146 evaluation crop; written by global-setup): the default crop is the centered
 * 128/146 of the short side, the model input and every map are 128×128 canvases shown at (at least) 128 CSS px,
 * class names come from the model, ε presets scale by √(d/d₂₂₄), the feature grid counts 8·W coordinates, the
 * About panel states the input, and the sample gallery says the CIFAR-labelled photos do not suit this pair.
 */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { test, expect, dropFiles, expectMapsAt, screenshot } from './fixtures'
import { IMAGENETTE_CLASSES, NETTE_MODELS, SAMPLES_DIR } from './paths'

test.use({ modelsDir: NETTE_MODELS })

test('a 128 px pair: 128 px crop preview and maps, its crop fraction, its classes, scaled presets, 8·W coordinates', async ({ page }) => {
  test.setTimeout(180_000)
  await expect(page.getByTestId('backend')).not.toHaveText('…')
  // chelsea is 451×300: the default crop is round(300 · 128/146) = 263 px, centered
  await dropFiles(page, [{ name: 'cat.jpg', mimeType: 'image/jpeg', bytes: readFileSync(resolve(SAMPLES_DIR, 'cat-chelsea.jpg')) }])
  await expect(page.getByTestId('thumb')).toHaveCount(1)
  await expect(page.getByTestId('crop')).toHaveAttribute('aria-valuetext', '263 px square at 94, 18')
  const input = page.getByTestId('model-input').locator('canvas')
  await expect(input).toHaveJSProperty('width', 128)
  await expect(input).toHaveJSProperty('height', 128)
  expect((await input.boundingBox())?.width).toBeGreaterThanOrEqual(128)
  await expect(page.getByText('model input 128×128')).toBeVisible()
  // the top-5 speaks the model's classes; the photo has no Imagenette label
  await expect(page.getByTestId('top5-standard').locator('li')).toHaveCount(5, { timeout: 60_000 })
  for (const name of await page.getByTestId('top5-standard').locator('li .cls').allInnerTexts()) expect(IMAGENETTE_CLASSES).toContain(name.trim())
  await expect(page.getByTestId('thumb-label')).toHaveValue('')
  await expect(page.getByTestId('thumb-label').locator('option')).toHaveCount(IMAGENETTE_CLASSES.length + 1)

  // saliency maps at 128×128, shown at 128 CSS px
  await page.getByTestId('run').click()
  await expect(page.getByTestId('status')).toHaveText('Done', { timeout: 90_000 })
  await expectMapsAt(page, 128)
  // no label: the view says it used each model's prediction, and marks it
  await expect(page.getByTestId('run-notes')).toHaveAttribute('data-assumed', 'true')
  await screenshot(page, 'resolution-128-saliency')

  // the lab-exact ε scaled by √(d/d₂₂₄) = 128/224
  await page.getByTestId('tab-attack').click()
  await page.getByTestId('preset-lab-exact').click()
  await expect(page.getByTestId('preset-note')).toContainText(`ε ${Number((1.25 * 128 / 224).toPrecision(4))}`)

  // 8·W coordinates in the feature grid (W = 4 → 32)
  await page.getByTestId('tab-featureviz').click()
  await expect(page.getByTestId('feature-index')).toHaveAttribute('max', '31')
  await expect(page.getByText('of 32 = 8·W, W = 4 per model')).toBeVisible()

  // About this pair: the input and the crop
  await page.getByTestId('about-open').click()
  await expect(page.getByTestId('about-input')).toContainText('128×128 px')
  await expect(page.getByTestId('about-input')).toContainText('87.7 % of the short side')
  await expect(page.getByTestId('about-classes')).toContainText('English springer')
  await page.getByTestId('about-open').click()

  // the gallery: the CIFAR-labelled photos suit no installed pair here
  await page.getByTestId('samples-toggle').click()
  await expect(page.getByTestId('sample-suits-cat-chelsea.jpg')).toHaveText('no pair')
  await screenshot(page, 'resolution-128-gallery')
})
