import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it, vi } from 'vitest'
import { createHandlers, invokeHandler, type HandlerDeps } from '../../src/main/handlers'
import type { JobRunner } from '../../src/main/jobs'
import { createMemorySettings } from '../../src/main/settings'
import { image, tempDir, writeModelSpec } from './helpers'

function setup(overrides: Partial<HandlerDeps> = {}) {
  const modelsDir = tempDir()
  const samplesDir = tempDir()
  writeModelSpec(modelsDir, 'std')
  writeModelSpec(modelsDir, 'rob', { role: 'robust' })
  const jobs: JobRunner = { start: vi.fn(() => ({ jobId: 'job-7' })), cancel: vi.fn((id: string) => id === 'job-7'), active: () => [] }
  const settings = createMemorySettings()
  const deps: HandlerDeps = {
    mode: 'test',
    version: '1.2.3',
    modelsDir,
    samplesDir,
    settings,
    jobs,
    compute: { size: 3, threads: 1, backend: async () => 'wasm' },
    ...overrides
  }
  return { handlers: createHandlers(deps), deps, jobs, settings, modelsDir, samplesDir }
}

describe('main handlers', () => {
  it('app:info reports version, mode, backend and worker count', async () => {
    const { handlers } = setup()
    expect(await handlers['app:info']()).toMatchObject({ version: '1.2.3', mode: 'test', backend: 'wasm', workers: 3 })
  })

  it('app:info still answers when no worker could start', async () => {
    const { handlers } = setup({ compute: { size: 1, threads: 1, backend: () => Promise.reject(new Error('no backend')) } })
    expect((await handlers['app:info']()).backend).toBe('unavailable (no backend)')
  })

  it('models:list returns every valid model without its weight manifest and skips broken ones', async () => {
    const { handlers, modelsDir } = setup()
    mkdirSync(join(modelsDir, 'broken'))
    writeFileSync(join(modelsDir, 'broken', 'model.json'), '{"format":"something else"}')
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const models = await handlers['models:list']()
    warn.mockRestore()
    expect(models.map((m) => m.id)).toEqual(['rob', 'std'])
    expect(models[0]).not.toHaveProperty('weightsManifest')
    expect(models[0].sizeBytes).toBe(16)
  })

  it('samples:list is empty without samples.json, and samples:read only serves listed files', async () => {
    const { handlers, samplesDir } = setup()
    expect(await handlers['samples:list']()).toEqual([])
    writeFileSync(join(samplesDir, 'cat.jpg'), new Uint8Array([1, 2, 3]))
    writeFileSync(join(samplesDir, 'secret.txt'), 'no')
    writeFileSync(join(samplesDir, 'samples.json'), JSON.stringify([{ id: 'cat.jpg', title: 'A cat', label: 'cat', source: 'me', license: 'CC0' }]))
    expect((await handlers['samples:list']()).map((s) => s.id)).toEqual(['cat.jpg'])
    const bytes = await handlers['samples:read']('cat.jpg')
    expect(bytes).toBeInstanceOf(Uint8Array)
    expect([...bytes]).toEqual([1, 2, 3])
    await expect(handlers['samples:read']('secret.txt')).rejects.toThrow("Unknown sample 'secret.txt'")
  })

  it('samples:list keeps per-dataset labels and the clip-art mark; a legacy entry without them still lists', async () => {
    const { handlers, samplesDir } = setup()
    writeFileSync(
      join(samplesDir, 'samples.json'),
      JSON.stringify([
        { id: 'church.jpg', title: 'Church', labels: { imagenette: 'church' }, kind: 'photo', source: 'me', license: 'CC0' },
        { id: 'car.jpg', title: 'Car', label: 'automobile', kind: 'clipart', source: 'me', license: 'CC0' },
        { id: 'old.jpg', title: 'Old', label: 'cat', source: 'me', license: 'CC0' },
        { id: 'bad.jpg', title: 'Bad key', labels: { 'CIFAR-10': 'cat' }, source: 'me', license: 'CC0' }
      ])
    )
    const listed = await handlers['samples:list']()
    expect(listed.map((s) => s.id)).toEqual(['church.jpg', 'car.jpg', 'old.jpg'])
    expect(listed[0]).toMatchObject({ label: null, labels: { imagenette: 'church' }, kind: 'photo' })
    expect(listed[1]).toMatchObject({ label: 'automobile', kind: 'clipart' })
    expect(listed[2]).toMatchObject({ label: 'cat' })
  })

  it('jobs:start checks the models exist and match the image size before starting', async () => {
    const { handlers, jobs } = setup()
    await expect(handlers['jobs:start']({ models: ['nope'], images: image(), params: { method: 'predict' } })).rejects.toThrow(
      "Unknown model 'nope' (available: rob, std)"
    )
    await expect(handlers['jobs:start']({ models: ['std'], images: image(16, 16), params: { method: 'predict' } })).rejects.toThrow(
      "Model 'std' expects 32×32 images, got 16×16"
    )
    await expect(handlers['jobs:start']({ models: ['std', 'std'], images: image(), params: { method: 'predict' } })).rejects.toThrow('two different models')
    expect(jobs.start).not.toHaveBeenCalled()
    expect(await handlers['jobs:start']({ models: ['std', 'rob'], images: image(), params: { method: 'predict' } })).toEqual({ jobId: 'job-7' })
    expect(jobs.start).toHaveBeenCalledTimes(1)
  })

  it('jobs:cancel answers whether something was cancelled', async () => {
    const { handlers } = setup()
    expect(await handlers['jobs:cancel']('job-7')).toEqual({ cancelled: true })
    expect(await handlers['jobs:cancel']('job-8')).toEqual({ cancelled: false })
  })

  it('settings get/set/reset go through the store and notify', async () => {
    const changed = vi.fn()
    const { handlers } = setup({ onSettingsChanged: changed })
    expect((await handlers['settings:get']()).workers).toBeNull()
    expect((await handlers['settings:set']({ workers: 2, theme: 'dark' })).workers).toBe(2)
    expect((await handlers['settings:get']()).theme).toBe('dark')
    expect((await handlers['settings:reset']()).theme).toBe('system')
    expect(changed).toHaveBeenCalledTimes(2)
  })

  it('export:save defaults to letting the renderer download, and uses the injected saver otherwise', async () => {
    const req = { suggestedName: 'map.png', kind: 'png' as const, data: new Uint8Array([1]) }
    expect(await setup().handlers['export:save'](req)).toEqual({ status: 'download' })
    const saver = vi.fn(async () => ({ status: 'saved' as const, path: '/tmp/map.png' }))
    expect(await setup({ saveExport: saver }).handlers['export:save'](req)).toEqual({ status: 'saved', path: '/tmp/map.png' })
  })
})

describe('invokeHandler: malformed payloads are rejected with a clear error and change nothing', () => {
  const goodImage = () => image()
  const cases: [string, string, unknown[], string][] = [
    ['unknown channel', 'fs:read', ['/etc/passwd'], "Unknown IPC channel 'fs:read'"],
    ['prototype key as channel', 'constructor', [], "Unknown IPC channel 'constructor'"],
    ['wrong arity', 'jobs:cancel', [], "Invalid payload for 'jobs:cancel'"],
    ['bad job id', 'jobs:cancel', ['../job-1'], 'expected a job id like "job-1"'],
    ['number as job id', 'jobs:cancel', [7], "Invalid payload for 'jobs:cancel'"],
    ['ArrayBuffer instead of Float32Array', 'jobs:start', [{ models: ['std'], images: { data: new ArrayBuffer(32 * 32 * 12), shape: [1, 32, 32, 3] }, params: { method: 'predict' } }], 'expected a Float32Array of pixels'],
    ['plain array of pixels', 'jobs:start', [{ models: ['std'], images: { data: [0.5], shape: [1, 1, 1, 3] }, params: { method: 'predict' } }], 'expected a Float32Array of pixels'],
    ['pixel out of range', 'jobs:start', [{ models: ['std'], images: { data: new Float32Array(32 * 32 * 3).fill(1.5), shape: [1, 32, 32, 3] }, params: { method: 'predict' } }], 'pixels must be finite and in [0, 1]'],
    ['NaN pixel', 'jobs:start', [{ models: ['std'], images: { data: new Float32Array(3).fill(Number.NaN), shape: [1, 1, 1, 3] }, params: { method: 'predict' } }], 'pixels must be finite'],
    ['shape not matching data', 'jobs:start', [{ models: ['std'], images: { data: new Float32Array(10), shape: [1, 32, 32, 3] }, params: { method: 'predict' } }], 'expected 3072 values'],
    ['unknown method', 'jobs:start', [{ models: ['std'], images: goodImage(), params: { method: 'rm -rf' } }], "Invalid payload for 'jobs:start'"],
    ['three models', 'jobs:start', [{ models: ['a', 'b', 'c'], images: goodImage(), params: { method: 'predict' } }], "Invalid payload for 'jobs:start' at 0.models"],
    ['settings with wrong type', 'settings:set', [{ workers: 'many' }], "Invalid payload for 'settings:set' at 0.workers"],
    ['settings with unknown key', 'settings:set', [{ nodeIntegration: true }], "Invalid payload for 'settings:set'"],
    ['export with a path in the name', 'export:save', [{ suggestedName: '../../.bashrc', kind: 'png', data: new Uint8Array(1) }], 'file name'],
    ['sample id with a path', 'samples:read', ['../../etc/passwd'], 'expected a sample file name']
  ]
  it.each(cases)('%s', async (_name, channel, args, message) => {
    const { handlers, jobs, settings } = setup()
    const before = settings.get()
    const spies = Object.fromEntries(Object.keys(handlers).map((k) => [k, vi.spyOn(handlers, k as keyof typeof handlers)]))
    await expect(invokeHandler(handlers, channel, args)).rejects.toThrow(message)
    for (const spy of Object.values(spies)) expect(spy).not.toHaveBeenCalled()
    expect(jobs.start).not.toHaveBeenCalled()
    expect(settings.get()).toEqual(before)
  })

  it('a well-formed payload reaches the handler with zod defaults applied', async () => {
    const { handlers } = setup()
    const set = vi.spyOn(handlers, 'settings:set')
    await invokeHandler(handlers, 'settings:set', [{ linked: false }])
    expect(set).toHaveBeenCalledWith({ linked: false })
  })
})
