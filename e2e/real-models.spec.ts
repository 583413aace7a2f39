/**
 * The trained pair end to end, as a new user would: every view with its defaults and the whole exercises sequence
 * on the shipped CIFAR-10 models in resources/models (pair `cifar10-resnet18w8`: standard and L2 ε = 0.5 robust),
 * instead of the random-weight e2e models. Screenshots `real-<name>`.
 *
 * Assertions stay on what does not depend on small numeric differences between runs or machines: results rendered
 * for both models, real class names, flip / filmstrip / curve elements present. The numbers that matter (who
 * flipped, p(target)) are recorded as annotations and printed, not asserted.
 */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import type { Page } from '@playwright/test'
import { test, expect, dropFiles, screenshot } from './fixtures'
import { ROOT, SAMPLES_DIR } from './paths'

const REAL_MODELS = resolve(ROOT, 'resources/models')
const CIFAR10 = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck']
const CIFAR_CLASS = new RegExp(`^(${CIFAR10.join('|')})$`)

test.use({ modelsDir: REAL_MODELS })
// the shared 2-core machine: generous per-test limits, real models are ~10× the e2e-fast ones
test.describe.configure({ timeout: 180_000 })

const photo = (name: string): { name: string; mimeType: string; bytes: Buffer } => ({ name, mimeType: 'image/jpeg', bytes: readFileSync(resolve(SAMPLES_DIR, name)) })

function note(name: string, value: string): void {
  test.info().annotations.push({ type: name, description: value })
  console.log(`${name}: ${value}`)
}

/** Drop a sample photo and wait for both models' top-5 (the real pair is the only one, so it is the default). */
async function loadPhoto(page: Page, name: string): Promise<void> {
  await expect(page.getByTestId('backend')).not.toHaveText('…')
  await dropFiles(page, [photo(name)])
  await expect(page.getByTestId('thumb')).toHaveCount(1)
  await expect(page.getByTestId('top5-standard').locator('li')).toHaveCount(5, { timeout: 60_000 })
  await expect(page.getByTestId('top5-robust').locator('li')).toHaveCount(5, { timeout: 60_000 })
}

test('the real pair is offered and both models show a top-5 with CIFAR-10 class names', async ({ page }) => {
  await loadPhoto(page, 'cat-chelsea.jpg')
  await expect(page.getByTestId('top5-standard')).toContainText('cifar10-resnet18w8-standard')
  await expect(page.getByTestId('top5-robust')).toContainText('cifar10-resnet18w8-l2-0.5')
  for (const role of ['standard', 'robust']) {
    const names = await page.getByTestId(`top5-${role}`).locator('li .cls').allInnerTexts()
    expect(names).toHaveLength(5)
    for (const n of names) expect(n.trim()).toMatch(CIFAR_CLASS)
    expect(new Set(names).size).toBe(5)
    note(`top-5 ${role}`, (await page.getByTestId(`top5-${role}`).locator('li').allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim()).join(' | '))
  }
  await screenshot(page, 'real-top5')
})

test('saliency: the lab preset and SmoothGrad on both real models', async ({ page }) => {
  await loadPhoto(page, 'cat-chelsea.jpg')
  await expect(page.getByTestId('tab-saliency')).toHaveAttribute('aria-selected', 'true')
  await page.getByTestId('saliency-preset').selectOption('lab-vanilla')
  await page.getByTestId('run').click()
  await expect(page.getByTestId('status')).toHaveText('Done', { timeout: 60_000 })
  await expect(page.getByTestId('map-standard')).toBeVisible()
  await expect(page.getByTestId('map-robust')).toBeVisible()
  await expect(page.getByTestId('result-standard')).toContainText('scale')
  await screenshot(page, 'real-saliency-lab')

  const started = Date.now()
  await page.getByTestId('saliency-preset').selectOption('lab-smoothgrad')
  await page.getByTestId('run').click()
  await expect(page.getByTestId('status')).toHaveText('Done', { timeout: 120_000 })
  note('SmoothGrad N = 100 on both models (s)', ((Date.now() - started) / 1000).toFixed(1))
  await expect(page.getByTestId('map-standard')).toBeVisible()
  await expect(page.getByTestId('map-robust')).toBeVisible()
  await expect(page.getByTestId('convention')).toContainText('SmoothGrad')
  await screenshot(page, 'real-saliency-smoothgrad')
})

test('attack: lab-exact PGD on both real models, with charts, images and the flip line', async ({ page }) => {
  await loadPhoto(page, 'cat-chelsea.jpg')
  await page.getByTestId('tab-attack').click()
  await page.getByTestId('preset-lab-exact').click()
  await expect(page.getByTestId('preset-note')).toContainText('√(d/d₂₂₄)')
  await page.getByTestId('run').click()
  await expect(page.getByTestId('result-standard')).toHaveAttribute('data-state', 'done', { timeout: 120_000 })
  await expect(page.getByTestId('result-robust')).toHaveAttribute('data-state', 'done', { timeout: 60_000 })
  await expect(page.getByTestId('status')).toHaveText('Done')
  await expect(page.getByTestId('chart-standard')).toBeVisible()
  await expect(page.getByTestId('chart-robust')).toBeVisible()
  await expect(page.getByTestId('adversarial-standard')).toBeVisible()
  await expect(page.getByTestId('adversarial-robust')).toBeVisible()
  for (const role of ['standard', 'robust']) {
    const flip = page.getByTestId(`flip-${role}`)
    await expect(flip).toContainText(/flipped/)
    // the prediction before → after uses real class names
    await expect(flip).toContainText(new RegExp(`(${CIFAR10.join('|')}) [0-9.]+ ?%? → (${CIFAR10.join('|')})`))
    note(`lab-exact flip ${role}`, (await flip.innerText()).replace(/\s+/g, ' ').trim())
  }
  await screenshot(page, 'real-attack')
})

test('large ε: the morph filmstrips on both real models', async ({ page }) => {
  await loadPhoto(page, 'horse-nokota-band.jpg')
  await page.getByTestId('tab-large-eps').click()
  await expect(page.getByTestId('preset-note')).toContainText('ε 14.29')
  await page.getByTestId('run').click()
  await expect(page.getByTestId('result-robust')).toHaveAttribute('data-state', 'done', { timeout: 120_000 })
  await expect(page.getByTestId('result-standard')).toHaveAttribute('data-state', 'done', { timeout: 60_000 })
  for (const role of ['standard', 'robust']) {
    const frames = page.getByTestId(`filmstrip-${role}`).locator(':scope > li')
    await expect(frames).toHaveCount(11)
    await expect(frames.last()).toContainText(/p\((airplane|automobile|bird|cat|deer|dog|frog|horse|ship|truck)\)/)
    note(`large-ε last frame ${role}`, (await frames.last().innerText()).replace(/\s+/g, ' ').trim())
  }
  await expect(page.getByTestId('chart-robust')).toBeVisible()
  await screenshot(page, 'real-large-eps')
})

test('feature visualization: both real models, and the top/bottom images', async ({ page }) => {
  await loadPhoto(page, 'bird-kingfisher.jpg')
  await page.getByTestId('tab-featureviz').click()
  await expect(page.getByTestId('feature-grid')).toContainText('activation on “bird-kingfisher.jpg”', { timeout: 60_000 })
  await page.getByTestId('run').click()
  await expect(page.getByTestId('result-standard')).toHaveAttribute('data-state', 'done', { timeout: 120_000 })
  await expect(page.getByTestId('result-robust')).toHaveAttribute('data-state', 'done', { timeout: 60_000 })
  await expect(page.getByTestId('fv-image-standard')).toBeVisible()
  await expect(page.getByTestId('fv-image-robust')).toBeVisible()
  // the representation has 64 coordinates here: pick one in range from the grid before ranking (the lab's
  // default r_200 does not exist in it; see the known-bug test below)
  const grid = page.getByTestId('feature-grid')
  await grid.getByRole('option', { name: /^coordinate 10:/ }).click()
  await expect(page.getByTestId('feature-index')).toHaveValue('10')
  await page.getByTestId('rank-images').click()
  await expect(page.getByTestId('ranked-robust')).toBeVisible({ timeout: 90_000 })
  await expect(page.getByTestId('ranked-robust').getByRole('img')).toHaveCount(10)
  await expect(page.getByTestId('ranked-standard').getByRole('img')).toHaveCount(10)
  await screenshot(page, 'real-featureviz')
})

/** The lab's coordinate 200 exists only in 512-/2048-d representations: on a 64-d one the view shows and runs a valid one. */
test('the default coordinate is carried into the real 64-d representation', async ({ page }) => {
  await loadPhoto(page, 'bird-kingfisher.jpg')
  await page.getByTestId('tab-featureviz').click()
  await expect(page.getByTestId('feature-grid')).toContainText('activation on “bird-kingfisher.jpg”', { timeout: 60_000 })
  await expect(page.getByTestId('feature-index')).toHaveAttribute('max', '63')
  await expect(page.getByTestId('feature-index')).toHaveValue(/^([0-9]|[1-5][0-9]|6[0-3])$/, { timeout: 5_000 })
  await expect(page.getByTestId('run')).not.toContainText('r_200')
})

test('robustness curve: both real models drawn over labelled sample photos', async ({ page }) => {
  await expect(page.getByTestId('backend')).not.toHaveText('…')
  // three bundled samples with CIFAR labels from samples.json
  await page.getByTestId('samples-toggle').click()
  for (const file of ['cat-chelsea.jpg', 'horse-nokota-band.jpg', 'bird-owl.jpg']) await page.getByTestId(`sample-${file}`).click()
  await expect(page.getByTestId('thumb')).toHaveCount(3)
  await page.getByTestId('tab-curve').click()
  const rows = page.getByRole('table').locator('tbody tr')
  await expect(rows).toHaveCount(3)
  const started = Date.now()
  await page.getByTestId('run').click()
  await expect(page.getByTestId('result-robust')).toHaveAttribute('data-state', 'done', { timeout: 150_000 })
  note('curve with defaults (s)', ((Date.now() - started) / 1000).toFixed(1))
  await expect(page.getByTestId('result-standard')).toContainText('clean accuracy')
  await expect(page.getByTestId('result-robust')).toContainText('clean accuracy')
  await expect(page.getByTestId('chart-curve')).toBeVisible()
  for (const row of await rows.all()) await expect(row.locator('td').nth(3)).not.toHaveText('—')
  for (const role of ['standard', 'robust']) note(`curve ${role}`, (await page.getByTestId(`result-${role}`).innerText()).replace(/\s+/g, ' ').trim())
  await screenshot(page, 'real-curve')
})

const SEQUENCE = ['I', 'II', 'III', 'IV', 'V', 'VI.1', 'VI.2', 'bonus-I', 'bonus-II'] as const

test('the exercises I–VI + bonuses on the real pair, each after a prediction', async ({ page }) => {
  test.setTimeout(420_000)
  await expect(page.getByTestId('backend')).not.toHaveText('…')
  await page.getByTestId('tab-exercises').click()
  await page.getByTestId('exercise-load-samples').click()
  await expect(page.getByTestId('thumb')).toHaveCount(5)
  await expect(page.getByTestId('top5-robust').locator('li')).toHaveCount(5, { timeout: 60_000 })

  for (const id of SEQUENCE) {
    const card = page.getByTestId('exercise-card')
    await expect(card).toHaveAttribute('data-exercise', id)
    await expect(page.getByTestId('run')).toBeDisabled()
    // answer the prediction question (the last choice: a different answer from the random-model spec's)
    await page.getByTestId('exercise-question').getByRole('radio').last().check()
    await expect(page.getByTestId('run')).toBeEnabled()
    const started = Date.now()
    await page.getByTestId('run').click()
    await expect(page.getByTestId('exercise-lookfor')).toBeVisible({ timeout: 150_000 })
    await expect(page.getByTestId('exercise-verdict')).toBeVisible()
    await expect(page.getByTestId('result-standard')).toBeVisible()
    await expect(page.getByTestId('result-robust')).toBeVisible()
    await expect(page.getByTestId('status')).toHaveText('Done')
    note(`exercise ${id} (s)`, ((Date.now() - started) / 1000).toFixed(1))
    await screenshot(page, `real-exercise-${id}`)
    if (id !== 'bonus-II') await page.getByTestId('exercise-next').click()
  }
  await expect(page.getByTestId('exercise-step-bonus-II')).toContainText('✓')
})
