import { Worker } from 'node:worker_threads'
import { afterEach, describe, expect, it } from 'vitest'
import { computeLayout } from '../../src/main/compute/layout'
import { backendOrder, createServices, expectedBackend, layoutFor, type Services } from '../../src/main/services'
import { createMemorySettings } from '../../src/main/settings'
import { FAKE_WORKER, captureEvents, image, tempDir } from './helpers'

let services: Services | null = null
afterEach(async () => {
  await services?.dispose()
  services = null
})

describe('services wiring', () => {
  it('lays the cores out as workers × threads: one worker with every core up to 3 cores, two workers from 4', () => {
    const auto = { workers: null, threads: null }
    expect(computeLayout(auto, 1)).toEqual({ workers: 1, threads: 1 })
    expect(computeLayout(auto, 2)).toEqual({ workers: 1, threads: 2 })
    expect(computeLayout(auto, 3)).toEqual({ workers: 1, threads: 3 })
    expect(computeLayout(auto, 4)).toEqual({ workers: 2, threads: 2 })
    expect(computeLayout(auto, 12)).toEqual({ workers: 2, threads: 6 })
    expect(computeLayout(auto, 64)).toEqual({ workers: 2, threads: 8 }) // tfjs' wasm thread limit
    expect(computeLayout(auto, 0)).toEqual({ workers: 1, threads: 1 })
  })

  it('on ONNX Runtime below 4 cores: one worker per model of a twin run, one thread each (threads help it little)', () => {
    const auto = { workers: null, threads: null }
    expect(computeLayout(auto, 1, 'onnxruntime')).toEqual({ workers: 1, threads: 1 })
    expect(computeLayout(auto, 2, 'onnxruntime')).toEqual({ workers: 2, threads: 1 })
    expect(computeLayout(auto, 3, 'onnxruntime')).toEqual({ workers: 2, threads: 1 })
    expect(computeLayout(auto, 4, 'onnxruntime')).toEqual({ workers: 2, threads: 2 })
    expect(computeLayout(auto, 2, 'wasm')).toEqual({ workers: 1, threads: 2 })
    expect(computeLayout({ workers: 1, threads: null }, 2, 'onnxruntime')).toEqual({ workers: 1, threads: 2 }) // a setting wins
    expect(expectedBackend('auto')).toBe('onnxruntime')
    expect(expectedBackend('wasm')).toBe('wasm')
  })

  it('starts with the layout of the expected backend and re-lays the pool out for the backend the workers picked', async () => {
    // the fake workers pick 'fake:<dir>' for 'auto' (expected: onnxruntime), and the first backend of an order
    services = createServices({
      mode: 'test', version: 't', modelsDir: tempDir(), samplesDir: tempDir(), settings: createMemorySettings(), emit: captureEvents().emit,
      workerFactory: () => new Worker(FAKE_WORKER)
    })
    expect({ workers: services.pool.size, threads: services.pool.threads }).toEqual(layoutFor({ workers: null, threads: null }, {}, undefined, 'onnxruntime'))
    const other = layoutFor({ workers: null, threads: null }, {}, undefined, 'fake')
    await expect.poll(() => ({ workers: services!.pool.size, threads: services!.pool.threads }), { timeout: 10_000 }).toEqual(other)
    await services.handlers['settings:set']({ backend: 'onnxruntime' })
    await expect.poll(() => ({ workers: services!.pool.size, threads: services!.pool.threads }), { timeout: 10_000 }).toEqual(layoutFor({ workers: null, threads: null }, {}, undefined, 'onnxruntime'))
    expect((await services.handlers['app:info']()).backend).toBe('onnxruntime')
  })

  it('derives the unset number of the layout from the set one and the cores, never oversubscribing', () => {
    expect(computeLayout({ workers: 2, threads: null }, 2)).toEqual({ workers: 2, threads: 1 })
    expect(computeLayout({ workers: 3, threads: null }, 2)).toEqual({ workers: 3, threads: 1 })
    expect(computeLayout({ workers: null, threads: 1 }, 4)).toEqual({ workers: 4, threads: 1 })
    expect(computeLayout({ workers: null, threads: 4 }, 2)).toEqual({ workers: 1, threads: 4 })
    expect(computeLayout({ workers: 2, threads: 3 }, 2)).toEqual({ workers: 2, threads: 3 }) // both set: as asked
    expect(layoutFor({ workers: null, threads: null }, { poolSize: 3 }, 2)).toEqual({ workers: 3, threads: 2 })
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
    await services.handlers['settings:set']({ threads: 2 })
    expect((await services.handlers['app:info']()).threads).toBe(2)
    await expect(services.pool.run({ modelId: 'threads', images: image(), params: { method: 'predict' } })).resolves.toMatchObject({ run: { weightsSha256: 'threads:2' } })
    await services.handlers['settings:reset']()
    // automatic again: the layout of the backend the (fake) workers picked
    await expect.poll(() => ({ workers: services!.pool.size, threads: services!.pool.threads }), { timeout: 10_000 }).toEqual(layoutFor({ workers: null, threads: null }, {}, undefined, 'fake'))
  })

  it('the backend setting puts the chosen backend first and keeps the others as fallbacks; auto is the engine default', () => {
    expect(backendOrder('auto')).toBeUndefined()
    expect(backendOrder('wasm')).toEqual(['wasm', 'tensorflow-gpu', 'tensorflow', 'onnxruntime', 'cpu'])
    expect(backendOrder('onnxruntime')).toEqual(['onnxruntime', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'])
  })

  it('applies a changed backend setting at once: app:info reports the new backend and the fallback notice', async () => {
    const settings = createMemorySettings({ backend: 'onnxruntime' })
    services = createServices({
      mode: 'test', version: 't', modelsDir: tempDir(), samplesDir: tempDir(), settings, emit: captureEvents().emit,
      workerFactory: () => new Worker(FAKE_WORKER)
    })
    expect(await services.handlers['app:info']()).toMatchObject({ backend: 'onnxruntime', backendNotices: [] })
    // the fake worker fails 'tensorflow''s start-up check and falls back to the next of the order
    await services.handlers['settings:set']({ backend: 'tensorflow' })
    expect(await services.handlers['app:info']()).toMatchObject({
      backend: 'tensorflow-gpu',
      backendNotices: ['backend tensorflow failed its start-up check (logits off by 1.00 (relative)); using tensorflow-gpu']
    })
    await services.handlers['settings:reset']()
    expect(await services.handlers['app:info']()).toMatchObject({ backend: expect.stringMatching(/^fake:/), backendNotices: [] })
  })

  it('a backend given on the command line (serve --backend) overrides the setting', async () => {
    services = createServices({
      mode: 'test', version: 't', modelsDir: tempDir(), samplesDir: tempDir(), settings: createMemorySettings({ backend: 'cpu' }), emit: captureEvents().emit,
      workerFactory: () => new Worker(FAKE_WORKER), backend: 'wasm'
    })
    expect((await services.handlers['app:info']()).backend).toBe('wasm')
  })
})
