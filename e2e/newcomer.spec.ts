/**
 * As a newcomer, on the shipped models (resources/models, the default pair): open the app with nothing configured
 * at 1280×800, take the defaults — the first screen's default image, then exercises I–VI with their default
 * image, targets and coordinates — and check that each exercise shows what it promises (III: the standard model
 * reaches the target; IV: the robust model does not; V: a visible morph; VI: the coordinate's activation rises on
 * both models), then the robustness curve over labelled images. Plus the layout at 1280×800: the header on one
 * line and the result panel visible after Run without scrolling. Screenshots `newcomer-*`.
 */
import { resolve } from 'node:path'
import type { Page } from '@playwright/test'
import { test, expect, screenshot } from './fixtures'
import { ROOT } from './paths'

test.use({ modelsDir: resolve(ROOT, 'resources/models'), viewport: { width: 1280, height: 800 } })

function note(name: string, value: string): void {
  test.info().annotations.push({ type: name, description: value })
  console.log(`${name}: ${value}`)
}

/** Every direct child of the header sits on one line (same vertical centre ±4 px), and the header is one row high. */
async function expectHeaderOnOneLine(page: Page): Promise<void> {
  const boxes = await page.locator('.app > header > *').evaluateAll((els) =>
    els.filter((e) => (e as HTMLElement).offsetParent !== null).map((e) => {
      const r = e.getBoundingClientRect()
      return { mid: r.top + r.height / 2, bottom: r.bottom }
    })
  )
  expect(boxes.length).toBeGreaterThan(3)
  for (const b of boxes) expect(Math.abs(b.mid - boxes[0].mid)).toBeLessThanOrEqual(4)
  const header = await page.locator('.app > header').boundingBox()
  expect(header?.height ?? 999).toBeLessThan(56)
}

/** The element's top is inside the viewport (800 px high unless given) without scrolling. */
async function expectInFirstScreen(page: Page, testId: string, viewportHeight = 800): Promise<void> {
  const visibleTop = await page.getByTestId(testId).evaluate((el) => el.getBoundingClientRect().top + window.scrollY)
  expect(visibleTop).toBeLessThan(viewportHeight - 60)
}

test('a newcomer takes the defaults: the first screen, exercises I–VI showing what they promise, the labelled curve', async ({ page }) => {
  test.setTimeout(600_000)
  const failedLoads: string[] = []
  page.on('response', (r) => void (r.status() >= 400 && failedLoads.push(`${r.status()} ${r.url()}`)))
  await page.reload() // the listener sees the first load
  await expect(page.getByTestId('backend')).not.toHaveText('…')
  await expectHeaderOnOneLine(page)

  // the first screen offers a sample both models of the pair classify correctly
  await expect(page.getByTestId('start-default')).toBeVisible({ timeout: 60_000 })
  await expect(page.getByTestId('start-hint')).toContainText('both models classify it correctly')
  note('default image', (await page.getByTestId('start-hint').innerText()).replace(/\s+/g, ' '))
  await page.getByTestId('start-default').click()
  await expect(page.getByTestId('thumb')).toHaveCount(1)
  // its label is known (the picker under the thumbnail is not "unknown")
  await expect(page.getByTestId('thumb-label')).not.toHaveValue('')
  await expect(page.getByTestId('top5-robust').locator('li')).toHaveCount(5, { timeout: 60_000 })
  await expect(page.getByTestId('out-of-classes')).toHaveCount(0)

  // first use: Saliency with its defaults; the result panel is on the first screen, the class used is the label
  await page.getByTestId('run').click()
  await expect(page.getByTestId('status')).toHaveText('Done', { timeout: 60_000 })
  await expectInFirstScreen(page, 'result-standard')
  await expect(page.getByTestId('run-notes')).toHaveAttribute('data-assumed', 'false')
  await expectHeaderOnOneLine(page)
  await screenshot(page, 'newcomer-first-screen')
  expect(failedLoads).toEqual([])

  await page.getByTestId('tab-exercises').click()
  await expect(page.getByTestId('exercise-image')).toContainText('both models classify it correctly', { timeout: 60_000 })
  for (const id of ['I', 'II', 'III', 'IV', 'V', 'VI.1', 'VI.2'] as const) {
    await expect(page.getByTestId('exercise-card')).toHaveAttribute('data-exercise', id)
    // answer the prediction question (any answer enables Run; the outcome check does not depend on it)
    await page.getByTestId('exercise-question').locator('input[type=radio]').first().check()
    const started = Date.now()
    await page.getByTestId('run').click()
    await expect(page.getByTestId('exercise-lookfor')).toBeVisible({ timeout: 180_000 })
    note(`exercise ${id} (s)`, ((Date.now() - started) / 1000).toFixed(1))
    const outcome = page.getByTestId('exercise-outcome')
    if (id === 'III' || id === 'IV' || id === 'V' || id === 'VI.2') {
      note(`exercise ${id} outcome`, (await outcome.innerText()).replace(/\s+/g, ' '))
      await expect(outcome).toHaveAttribute('data-ok', 'true')
    }
    if (id === 'III') await expect(outcome).toContainText(/The standard model reached “[^”]+” at step \d+/)
    if (id === 'IV') await expect(outcome).toContainText('The robust model resisted: p(')
    if (id === 'V') await expect(outcome).toContainText('A visible morph')
    if (id === 'VI.2') await expect(outcome).toContainText('rose on both models')
    if (id === 'III' || id === 'IV' || id === 'V') {
      // the target is neither the true class nor a prediction, and the true class is the image's label
      await expect(page.getByTestId('run-notes').locator('p').first()).toHaveAttribute('data-assumed', 'false')
    }
    await screenshot(page, `newcomer-exercise-${id}`)
    await page.getByTestId('exercise-next').click()
  }

  // the curve: too few labelled images at first, so it says how to add some; then it runs over labelled ones only
  await page.getByTestId('tab-curve').click()
  await expect(page.getByTestId('curve-labelled')).toContainText('at least 5 labelled images')
  await expect(page.getByTestId('run')).toBeDisabled()
  await page.getByTestId('curve-add-samples').click()
  await expect(page.getByTestId('curve-labelled')).not.toContainText('at least 5', { timeout: 60_000 })
  const labelled = Number(await page.getByTestId('curve-labelled').getAttribute('data-count'))
  expect(labelled).toBeGreaterThanOrEqual(5)
  // a quick grid: 4 points, 10 steps, no per-image bisection
  await page.getByLabel('Smallest flipping ε per image (bisection)').uncheck()
  await page.getByLabel('Grid points value').fill('4')
  await page.getByLabel('Grid points value').press('Enter')
  await page.getByLabel('PGD steps value').fill('10')
  await page.getByLabel('PGD steps value').press('Enter')
  const started = Date.now()
  await page.getByTestId('run').click()
  await expect(page.getByTestId('result-robust')).toHaveAttribute('data-state', 'done', { timeout: 240_000 })
  note('curve over labelled samples (s)', ((Date.now() - started) / 1000).toFixed(1))
  for (const role of ['standard', 'robust']) {
    await expect(page.getByTestId(`result-${role}`)).toContainText(`n = ${labelled} labelled images`)
    await expect(page.getByTestId(`result-${role}`)).toContainText('95 %')
    note(`curve ${role}`, (await page.getByTestId(`result-${role}`).innerText()).replace(/\s+/g, ' '))
  }
  await screenshot(page, 'newcomer-curve')
})

test('at 1366×768 (the other common laptop screen): the header on one line, the first result on the first screen', async ({ page }) => {
  test.setTimeout(180_000)
  await page.setViewportSize({ width: 1366, height: 768 })
  await expect(page.getByTestId('backend')).not.toHaveText('…')
  await expectHeaderOnOneLine(page)
  await expect(page.getByTestId('start-default')).toBeVisible({ timeout: 60_000 })
  await page.getByTestId('start-default').click()
  await expect(page.getByTestId('thumb')).toHaveCount(1)
  await page.getByTestId('run').click()
  await expect(page.getByTestId('status')).toHaveText('Done', { timeout: 60_000 })
  await expectInFirstScreen(page, 'result-standard', 768)
  await expectHeaderOnOneLine(page)
  await screenshot(page, 'newcomer-1366x768')
})
