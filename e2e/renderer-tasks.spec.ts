/** The long-task measure the responsiveness checks rely on sees a long task, in CPU time, and tells the bridge's apart. */
import { test, expect } from './fixtures'
import { HARNESS_DELIVERY_MARK } from './harness-mark'
import { rendererTasksDuring } from './renderer-tasks'

// a fixed amount of work (~180–200 ms of CPU on the dev machine), not a wall-clock spin: while the workers warm up, the
// page's thread gets only part of a core, and a spin of 80 ms wall measured 21–74 ms of CPU here
const WORK = 'let s = 0; for (let i = 0; i < 1e8; i++) s += i % 7; s'

test('a long page task is reported as an app task over 50 ms of CPU time, one the bridge marked as the bridge’s', async ({ page, browser }) => {
  const tasks = await rendererTasksDuring(browser, page, async () => {
    await page.evaluate(WORK)
    await page.evaluate(`performance.mark(${JSON.stringify(HARNESS_DELIVERY_MARK)}); ${WORK}`)
  })
  console.log(`tasks over 20 ms: ${JSON.stringify(tasks)}`)
  expect(tasks.app.filter((t) => t.cpuMs > 50)).toHaveLength(1)
  expect(tasks.harness.filter((t) => t.cpuMs > 50)).toHaveLength(1)
})
