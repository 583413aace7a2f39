import { describe, expect, it, vi } from 'vitest'
import { checkViewRecord } from '../../../src/renderer/src/lib/view-record'
import { openCard } from '../../../src/renderer/src/lib/open-card'
import { CARD_FORMAT } from '../../../src/renderer/src/lib/export'
import { SaliencyState } from '../../../src/renderer/src/state/saliency.svelte'

describe('view records are checked with the jobs\' schemas and ranges (issue 11 #8)', () => {
  it('accepts what the views themselves write', () => {
    const record = new SaliencyState().toRecord()
    expect(checkViewRecord('saliency', record)).toEqual(record)
    expect(checkViewRecord('attack', { linked: true, 'standard.eps': 0.5, 'robust.steps': 20, 'standard.threat': 'linf', preset: 'evaluation' })).toBeTruthy()
  })

  it.each([
    ['saliency', { 'standard.smoothing': 'constructor' }, /standard\.smoothing/],
    ['saliency', { 'robust.samples': 5000 }, /robust\.samples = 5000/],
    ['saliency', { 'standard.sigma': 3 }, /standard\.sigma/],
    ['saliency', { opacity: 7 }, /opacity/],
    ['attack', { 'standard.eps': -1 }, /standard\.eps/],
    ['attack', { 'standard.threat': 'l3' }, /standard\.threat/],
    ['featureviz', { 'robust.steps': 0 }, /robust\.steps/],
    ['curve', { points: 1e6 }, /points/],
    ['toString', {}, /unknown view 'toString'/],
    ['saliency', Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, 1])), /at most 64/]
  ])('refuses %s %j', (view, record, message) => {
    expect(() => checkViewRecord(view, record)).toThrow(message)
  })

  it("restoring 'constructor' as a smoothing mode keeps the default (own keys only)", () => {
    const state = new SaliencyState({ 'standard.smoothing': 'constructor', 'robust.smoothing': 'vargrad' })
    expect(state.standard.smoothing).toBe('none')
    expect(state.robust.smoothing).toBe('vargrad')
    expect(state.toRecord()['standard.smoothing']).toBe('none')
  })

  it('a card with an out-of-range parameter changes nothing: no images, no pair, no settings', async () => {
    const card = { format: CARD_FORMAT, createdAt: 'now', view: 'saliency', params: { 'standard.smoothing': 'constructor' }, preset: 'lab', seed: 0, pair: 'p', models: [], image: null }
    const deps = {
      images: { addBytes: vi.fn() },
      models: { pairs: [{ id: 'p' }], selectPair: vi.fn(), model: vi.fn(), pair: null },
      settings: { setViewParams: vi.fn(), set: vi.fn() }
    }
    await expect(openCard(JSON.stringify(card), deps as never)).rejects.toThrow(/not a valid experiment card: parameter standard\.smoothing/)
    expect(deps.models.selectPair).not.toHaveBeenCalled()
    expect(deps.images.addBytes).not.toHaveBeenCalled()
    expect(deps.settings.setViewParams).not.toHaveBeenCalled()
    expect(deps.settings.set).not.toHaveBeenCalled()
  })
})
