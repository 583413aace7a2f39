import { Worker } from 'node:worker_threads'
import { afterEach, describe, expect, it } from 'vitest'
import { createServices, poolSizeFor, type Services } from '../../src/main/services'
import { createMemorySettings } from '../../src/main/settings'
import { FAKE_WORKER, captureEvents, tempDir } from './helpers'

let services: Services | null = null
afterEach(async () => {
  await services?.dispose()
  services = null
})

describe('services wiring', () => {
  it('sizes the pool from the workers setting, else from the cores, at least 1', () => {
    expect(poolSizeFor(3, 16)).toBe(3)
    expect(poolSizeFor(null, 16)).toBe(16)
    expect(poolSizeFor(null, 0)).toBe(1)
  })

  it('applies a changed workers setting to the pool at once, and app:info reports it', async () => {
    const settings = createMemorySettings({ workers: 1 })
    services = createServices({
      mode: 'test', version: 't', modelsDir: tempDir(), samplesDir: tempDir(), settings, emit: captureEvents().emit,
      workerFactory: () => new Worker(FAKE_WORKER)
    })
    expect((await services.handlers['app:info']()).workers).toBe(1)
    await services.handlers['settings:set']({ workers: 3 })
    expect(services.pool.size).toBe(3)
    expect((await services.handlers['app:info']()).workers).toBe(3)
    await expect.poll(() => services!.pool.stats().ready, { timeout: 5000 }).toBe(3)
    await services.handlers['settings:reset']()
    expect(services.pool.size).toBe(poolSizeFor(null))
  })
})
