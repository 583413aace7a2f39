/**
 * The house end to end over the bridge: built renderer in Chromium, real main handlers, real built worker chunk.
 * Uses the stable testids of the first screen (backend, workers, drop-zone, image-strip, run, cancel, progress,
 * chart-*, result-*) and the workbench's Attack tab (a PGD run has per-step progress to chart and to cancel).
 */
import { availableParallelism } from 'node:os'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { dropFiles, eventsOf, expect, jobIds, screenshot, test } from './fixtures'
import { SAMPLES_DIR, SLOW_MODELS } from './paths'
import { computeLayout } from '../src/main/compute/layout'

/** The workbench opens on another view; PGD lives under the Attack tab. */
async function openAttack(page: import('@playwright/test').Page): Promise<void> {
  const tab = page.getByRole('tab', { name: 'Attack', exact: true })
  if (await tab.count()) await tab.click()
}

const photo = () => ({ name: 'bird-duck.jpg', mimeType: 'image/jpeg', bytes: readFileSync(join(SAMPLES_DIR, 'bird-duck.jpg')) })

/** Non-transparent pixels drawn on a canvas: proof that Chart.js really drew. */
async function inkOn(page: import('@playwright/test').Page, testId: string): Promise<number> {
  return page.getByTestId(testId).evaluate((canvas: HTMLCanvasElement) => {
    const data = canvas.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height).data ?? new Uint8ClampedArray()
    let ink = 0
    for (let i = 3; i < data.length; i += 4) if (data[i] > 0) ink++
    return ink
  })
}

test('the first screen shows the compute backend and the automatic workers × threads layout', async ({ page }) => {
  await expect(page.getByTestId('backend')).toHaveText(/^(onnxruntime|wasm|cpu|tensorflow|tensorflow-gpu)$/)
  // the automatic layout depends on the backend the workers picked (ONNX Runtime: one worker per model below 4 cores)
  const layout = computeLayout({ workers: null, threads: null }, availableParallelism(), await page.getByTestId('backend').innerText())
  await expect(page.getByTestId('workers')).toHaveText(String(layout.workers))
  await expect(page.getByTestId('threads')).toHaveText(String(layout.threads))
  await expect(page.getByTestId('drop-zone')).toBeVisible()
  await screenshot(page, '01-first-screen')
})

test('a dropped image runs a job end to end and both models answer, with a live chart', async ({ page, bridge }) => {
  await dropFiles(page, [photo()])
  await expect(page.getByTestId('image-strip').getByRole('img')).toHaveCount(1)
  await openAttack(page)
  await page.getByTestId('run').click()
  await expect(page.getByTestId('result-standard')).toHaveAttribute('data-state', 'done')
  await expect(page.getByTestId('result-robust')).toHaveAttribute('data-state', 'done')
  const attacks = jobIds(bridge, 'attack')
  expect(attacks).toHaveLength(1)
  const events = eventsOf(bridge, attacks)
  expect(events.filter((e) => e.channel === 'job:finished')).toHaveLength(1)
  expect(events.filter((e) => e.channel === 'job:failed')).toEqual([])
  const progress = events.filter((e) => e.channel === 'job:progress')
  expect(new Set(progress.map((e) => e.channel === 'job:progress' && e.payload.modelId))).toEqual(new Set(['e2e-fast-standard', 'e2e-fast-robust']))
  expect(events.at(-1)?.channel).toBe('job:finished') // nothing after the end
  expect(await inkOn(page, 'chart-standard')).toBeGreaterThan(100)
  expect(await inkOn(page, 'chart-robust')).toBeGreaterThan(100)
  await screenshot(page, '02-job-finished')
})

test.describe('a long job', () => {
  test.use({ modelsDir: SLOW_MODELS })

  test('Cancel stops a running job and the app takes the next one', async ({ page, bridge }) => {
    await dropFiles(page, [photo()])
    await openAttack(page)
    // the most steps the slider allows: with ONNX Runtime a fast machine finishes the default 20 before the click
    await page.getByLabel('Steps value').fill('500')
    await page.getByLabel('Steps value').press('Enter')
    await page.getByTestId('run').click()
    const attack = () => eventsOf(bridge, jobIds(bridge, 'attack'))
    await expect.poll(() => attack().filter((e) => e.channel === 'job:progress').length, { timeout: 30_000 }).toBeGreaterThan(0)
    await screenshot(page, '03-running')
    await page.getByTestId('cancel').click()
    await expect.poll(() => attack().find((e) => e.channel === 'job:failed')?.payload).toMatchObject({ reason: 'cancelled' })
    expect(attack().some((e) => e.channel === 'job:finished')).toBe(false)
    expect(bridge.calls.filter((c) => c.channel === 'jobs:cancel')).toHaveLength(1)
    const seen = attack().length
    await page.waitForTimeout(500)
    expect(attack().length).toBe(seen) // nothing after the cancel
    const cancelled = jobIds(bridge, 'attack')
    expect(bridge.services.jobs.active().filter((id) => cancelled.includes(id))).toEqual([])
    await expect(page.getByTestId('run')).toBeEnabled()
    await screenshot(page, '04-cancelled')
    // the workers are free again: the next run (back to 20 steps) completes
    await page.getByLabel('Steps value').fill('20')
    await page.getByLabel('Steps value').press('Enter')
    await page.getByTestId('run').click()
    await expect(page.getByTestId('result-standard')).toHaveAttribute('data-state', 'done', { timeout: 60_000 })
    const next = jobIds(bridge, 'attack').at(-1)!
    expect(eventsOf(bridge, [next]).some((e) => e.channel === 'job:finished')).toBe(true)
  })
})

test('malformed payloads from the page are rejected with clear errors and change nothing', async ({ page, bridge }) => {
  const errors = await page.evaluate(async () => {
    const attempts: [string, () => Promise<unknown>][] = [
      ['pixels as ArrayBuffer', () => window.api.invoke('jobs:start', { models: ['x'], images: { data: new ArrayBuffer(12) as never, shape: [1, 1, 1, 3] }, params: { method: 'predict' } })],
      ['pixel out of range', () => window.api.invoke('jobs:start', { models: ['x'], images: { data: new Float32Array([2, 0, 0]), shape: [1, 1, 1, 3] }, params: { method: 'predict' } })],
      ['bad job id', () => window.api.invoke('jobs:cancel', 'job-; rm -rf /')],
      ['bad settings', () => window.api.invoke('settings:set', { workers: 'all' as never })],
      ['unknown channel', () => (window.api.invoke as (c: string) => Promise<unknown>)('shell:exec')]
    ]
    const out: Record<string, string> = {}
    for (const [name, attempt] of attempts) {
      try {
        await attempt()
        out[name] = 'accepted'
      } catch (error) {
        out[name] = (error as Error).message
      }
    }
    return out
  })
  expect(errors['pixels as ArrayBuffer']).toContain("Invalid payload for 'jobs:start'")
  expect(errors['pixel out of range']).toContain('pixels must be finite and in [0, 1]')
  expect(errors['bad job id']).toContain('expected a job id')
  expect(errors['bad settings']).toContain("Invalid payload for 'settings:set'")
  expect(errors['unknown channel']).toContain("Unknown IPC channel 'shell:exec'")
  expect(bridge.services.jobs.active()).toEqual([])
  expect(bridge.events).toEqual([])
  expect((await page.evaluate(() => window.api.invoke('settings:get'))).workers).toBeNull()
})

test('the page gets a frozen window.api and no Node', async ({ page }) => {
  const probe = await page.evaluate(() => ({
    frozen: Object.isFrozen(window.api),
    require: typeof (window as unknown as { require?: unknown }).require,
    process: typeof (window as unknown as { process?: unknown }).process
  }))
  expect(probe).toEqual({ frozen: true, require: 'undefined', process: 'undefined' })
})
