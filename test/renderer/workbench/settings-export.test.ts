import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { SettingsState, resolveTheme } from '../../../src/renderer/src/state/settings.svelte'
import { SaliencyState } from '../../../src/renderer/src/state/saliency.svelte'
import { buildCard, parseCard, telemetryCsv, exportName, dataUrlToBytes, type ExportSnapshot } from '../../../src/renderer/src/lib/export'
import { defaultSettings, type Settings } from '../../../src/shared/settings'
import type { StepTelemetry } from '../../../src/shared/jobs'
import { installApiMock, type ApiMock } from './api-mock'

describe('SettingsState', () => {
  let mock: ApiMock
  let stored: Settings
  beforeEach(() => {
    vi.useFakeTimers()
    stored = { ...defaultSettings(), theme: 'dark' }
    mock = installApiMock({
      'settings:get': () => stored,
      'settings:set': (patch) => (stored = { ...stored, ...(patch as Partial<Settings>) }),
      'settings:reset': () => (stored = defaultSettings())
    })
  })
  afterEach(() => vi.useRealTimers())

  it('applies changes at once and persists them in one debounced settings:set', async () => {
    const settings = new SettingsState()
    await settings.load()
    expect(settings.value.theme).toBe('dark')
    settings.set({ theme: 'light' })
    settings.setViewParams('saliency', { linked: false })
    expect(settings.value.theme).toBe('light')
    expect(mock.calls.filter((c) => c.channel === 'settings:set')).toHaveLength(0)
    await vi.advanceTimersByTimeAsync(400)
    const sets = mock.calls.filter((c) => c.channel === 'settings:set')
    expect(sets).toHaveLength(1)
    expect(sets[0].args[0]).toEqual({ theme: 'light', views: { saliency: { linked: false } } })
    expect(stored.views.saliency).toEqual({ linked: false })
  })

  it('sends the pending change at once when the page is hidden (closed or reloaded within the save delay)', async () => {
    const settings = new SettingsState()
    await settings.load()
    const stop = settings.saveOnPageHide()
    settings.setViewParams('app', { view: 'attack' })
    window.dispatchEvent(new Event('pagehide'))
    const sets = mock.calls.filter((c) => c.channel === 'settings:set')
    expect(sets.map((c) => c.args[0])).toEqual([{ views: { ...defaultSettings().views, app: { view: 'attack' } } }])
    stop()
    settings.set({ theme: 'light' })
    window.dispatchEvent(new Event('pagehide'))
    expect(mock.calls.filter((c) => c.channel === 'settings:set')).toHaveLength(1)
  })

  it('a change made while an earlier write is in flight survives that write’s reply and is saved next', async () => {
    let release: () => void = () => {}
    mock.answers['settings:set'] = (patch) =>
      new Promise<Settings>((done) => {
        release = () => done((stored = { ...stored, ...(patch as Partial<Settings>) }))
      })
    const settings = new SettingsState()
    await settings.load()
    settings.setViewParams('saliency', { smoothing: 'smoothgrad2', sharedScale: false })
    await vi.advanceTimersByTimeAsync(400) // the first write is sent; its reply is held back
    settings.setViewParams('saliency', { smoothing: 'smoothgrad2', sharedScale: true })
    release()
    await vi.advanceTimersByTimeAsync(0)
    expect(settings.value.views.saliency).toEqual({ smoothing: 'smoothgrad2', sharedScale: true })
    settings.setViewParams('app', { view: 'attack' })
    await vi.advanceTimersByTimeAsync(400)
    release()
    await vi.advanceTimersByTimeAsync(0)
    expect(stored.views).toEqual({ ...defaultSettings().views, saliency: { smoothing: 'smoothgrad2', sharedScale: true }, app: { view: 'attack' } })
  })

  it('reset drops pending writes and takes the defaults from main', async () => {
    const settings = new SettingsState()
    await settings.load()
    settings.set({ preset: 'diverging' })
    await settings.reset()
    await vi.advanceTimersByTimeAsync(400)
    expect(mock.calls.filter((c) => c.channel === 'settings:set')).toHaveLength(0)
    expect(settings.value).toEqual(defaultSettings())
  })

  it('resolves the system theme from the media query', () => {
    expect(resolveTheme('system', true)).toBe('dark')
    expect(resolveTheme('system', false)).toBe('light')
    expect(resolveTheme('light', true)).toBe('light')
  })
})

describe('SaliencyState', () => {
  it('round-trips every parameter through the flat settings record, linked or not', () => {
    const a = new SaliencyState()
    a.setLinked(false)
    a.set('robust', 'smoothing', 'vargrad')
    a.set('robust', 'classIndex', 3)
    a.set('standard', 'sigma', 0.4)
    a.display.sharedScale = true
    a.display.preset = 'diverging'
    const b = new SaliencyState(a.toRecord())
    expect(b.linked).toBe(false)
    expect(b.robust).toEqual(a.robust)
    expect(b.standard).toEqual(a.standard)
    expect(b.display).toEqual(a.display)
    expect(b.jobParams('robust')).toEqual({ method: 'saliency', gradient: 'loss', classIndex: 3, smoothing: { kind: 'vargrad', samples: 50, sigma: 0.15, clipNoisy: false }, seed: 0 })
  })

  it('a new image resets a picked class to "each model\'s prediction" unless pinned, and the pin is saved', () => {
    const s = new SaliencyState()
    s.set('standard', 'classIndex', 3)
    s.imageChanged()
    expect([s.standard.classIndex, s.robust.classIndex]).toEqual([null, null])
    s.set('standard', 'classIndex', 5)
    s.pinned = true
    s.imageChanged()
    expect([s.standard.classIndex, s.robust.classIndex]).toEqual([5, 5])
    expect(new SaliencyState(s.toRecord()).pinned).toBe(true)
    s.reset()
    expect(s.pinned).toBe(false)
  })

  it('ignores ill-typed values in a stored record', () => {
    const s = new SaliencyState({ 'standard.smoothing': 'bogus', 'standard.samples': 'many', 'robust.samples': null, 'robust.smoothing': 'constructor', 'robust.gradient': 'score', preset: 'nope' })
    expect(s.standard.smoothing).toBe('none')
    expect(s.standard.samples).toBe(50)
    expect(s.robust.samples).toBe(50)
    expect(s.robust.smoothing).toBe('none')
    expect(s.robust.gradient).toBe('score')
    expect(s.display.preset).toBe('lab')
  })

  it('applies the lab SmoothGrad preset to both panels: N = 100, σ = 0.3 absolute as a fraction of the image range', () => {
    const s = new SaliencyState()
    s.setLinked(false)
    s.applyPreset('lab-smoothgrad', 0.75)
    for (const role of ['standard', 'robust'] as const) expect(s.jobParams(role).smoothing).toEqual({ kind: 'smoothgrad', samples: 100, sigma: 0.4, clipNoisy: false })
    s.applyPreset('lab-smoothgrad', null)
    expect(s.standard.sigma).toBe(0.3)
  })
})

describe('experiment cards and telemetry CSV', () => {
  const snapshot: ExportSnapshot = {
    view: 'saliency',
    params: { linked: true, 'standard.sigma': 0.3 },
    preset: 'lab',
    seed: 7,
    stamp: 'Lab',
    panels: [],
    telemetry: {}
  }
  const png = 'data:image/png;base64,iVBORw0KGgo='

  it('writes a card that parses back to the same content', () => {
    const card = buildCard({
      snapshot,
      pair: 'toy',
      models: [{ id: 'std', role: 'standard', weightsSha256: 'a'.repeat(64) }],
      image: { name: 'cat.png', label: null, width: 10, height: 8, crop: { x: 1, y: 0, size: 8 }, png },
      now: new Date('2026-01-01T00:00:00Z')
    })
    const back = parseCard(JSON.stringify(card))
    expect(back).toEqual(card)
    expect(back.params['standard.sigma']).toBe(0.3)
    expect(dataUrlToBytes(png).subarray(0, 4)).toEqual(new Uint8Array([0x89, 0x50, 0x4e, 0x47]))
  })

  it('keeps the other images of the strip in the card, in order, and refuses one that is not a PNG', () => {
    const picture = (name: string) => ({ name, label: 'cat', width: 10, height: 8, crop: { x: 1, y: 0, size: 8 }, png })
    const card = buildCard({ snapshot, pair: null, models: [], image: picture('a.png'), others: [picture('b.png'), picture('c.png')] })
    expect(parseCard(JSON.stringify(card)).others?.map((o) => o.name)).toEqual(['b.png', 'c.png'])
    expect('others' in buildCard({ snapshot, pair: null, models: [], image: picture('a.png'), others: [] })).toBe(false)
    const broken = { ...card, others: [{ ...picture('d.png'), png: 'data:image/jpeg;base64,xx' }] }
    expect(() => parseCard(JSON.stringify(broken))).toThrow(/others\.0\.png/)
  })

  it('says what is wrong with a file that is not a card', () => {
    expect(() => parseCard('{oops')).toThrow('not valid JSON')
    expect(() => parseCard(JSON.stringify({ format: 'something-else' }))).toThrow(/not a valid experiment card \(format\)/)
  })

  it('writes one CSV row per model, step and image', () => {
    const t = (step: number): StepTelemetry => ({
      step,
      loss: [1.5, 2],
      pTrue: [0.9, 0.1],
      pTarget: [0.01, 0.2],
      top5: [[{ index: 3, p: 0.9 }], [{ index: 1, p: 0.6 }]],
      deltaL2: [0, 0.1],
      deltaLinf: [0, 0.01],
      gradNorm: [1, 2]
    })
    const csv = telemetryCsv({ std: [t(1), t(2)], rob: [t(1)] }).trim().split('\n')
    expect(csv).toHaveLength(1 + 6)
    expect(csv[0]).toBe('model,step,image,loss,pTrue,pTarget,deltaL2,deltaLinf,gradNorm,activation,top1,top1p')
    expect(csv[2]).toBe('std,1,1,2,0.1,0.2,0.1,0.01,2,,1,0.6')
  })

  it('makes file names the export:save contract accepts', () => {
    expect(exportName('large eps/α', 'png', new Date('2026-01-02T03:04:05Z'))).toBe('robust-lens_large-eps--_2026-01-02_03-04-05.png')
    expect(exportName('saliency', 'json')).toMatch(/^[A-Za-z0-9 ._()-]{1,128}$/)
  })
})
