import { describe, expect, it } from 'vitest'
import {
  FeatureVizState,
  clampFeature,
  labFeatureVizPatch,
  pageCells,
  pageCount,
  pageFeatures,
  rankActivations
} from '../../../src/renderer/src/state/featureviz.svelte'
import { CurveState, evaluateParams, logGrid, minimalEpsText, needsPrediction, resolveLabels, defaultCurveForm } from '../../../src/renderer/src/state/curve.svelte'
import { CIFAR, fakeModel } from './fixtures'

describe('feature visualization state', () => {
  it('pages the representation in 64s, the last page short', () => {
    expect(pageCount(512)).toBe(8)
    expect(pageCount(100)).toBe(2)
    expect(pageFeatures(1, 100)).toEqual(Array.from({ length: 36 }, (_, i) => 64 + i))
  })

  it('keeps a chosen coordinate inside the representation and opens its page', () => {
    const s = new FeatureVizState()
    s.selectFeature(600, 512)
    expect(s.params.standard.feature).toBe(511)
    expect(s.params.robust.feature).toBe(511)
    expect(s.page).toBe(7)
    expect(clampFeature(-3, 10)).toBe(0)
  })

  it('scales the lab\'s ε 1000 / step 5 to 32² and says the ball stays inactive', () => {
    const { patch, note } = labFeatureVizPatch(fakeModel('robust', 32))
    expect(patch.eps).toBeCloseTo(142.9, 1)
    expect(patch.stepSize).toBeCloseTo(0.714, 3)
    expect(note).toContain('unconstrained')
  })

  it('ranks the top-5 and bottom-5 images of one coordinate', () => {
    // 6 images × features [3, 9]; coordinate 9 is the second column
    const values = new Float32Array([0, 5, 0, 1, 0, 9, 0, -2, 0, 4, 0, 7])
    const { top, bottom } = rankActivations({ values, features: [3, 9] }, 9)
    expect(top.map((r) => r.index)).toEqual([2, 5, 0, 4, 1])
    expect(bottom.map((r) => r.index)).toEqual([3, 1, 4, 0, 5])
    expect(rankActivations({ values, features: [3, 9] }, 4)).toEqual({ top: [], bottom: [] })
  })

  it('reads one page\'s cells for an image', () => {
    expect(pageCells({ values: new Float32Array([1, 2, 3, 4]), features: [10, 11] }, 1)).toEqual([
      { feature: 10, value: 3 },
      { feature: 11, value: 4 }
    ])
  })
})

describe('robustness curve state', () => {
  it('builds ε = 0 plus a log-spaced grid', () => {
    const g = logGrid(0.01, 1, 3)
    expect(g).toEqual([0, 0.01, 0.1, 1])
    expect(() => logGrid(0, 1, 3)).toThrow(/bad ε grid/)
  })

  it('labels images by sample label, then the user\'s pick, then the standard prediction', () => {
    const images = [
      { id: 'a', name: 'cat.jpg', label: 'cat' },
      { id: 'b', name: 'mine.jpg', label: null },
      { id: 'c', name: 'other.jpg', label: 'giraffe' }
    ]
    expect(resolveLabels(images, CIFAR, { b: 7 }, null)).toBeNull()
    expect(needsPrediction(images, CIFAR, { b: 7 })).toBe(true)
    const r = resolveLabels(images, CIFAR, { b: 7 }, [0, 1, 2])
    expect(r).toEqual({ labels: [3, 7, 2], sources: ['sample', 'user', 'predicted'] })
    expect(needsPrediction(images.slice(0, 2), CIFAR, { b: 7 })).toBe(false)
  })

  it('sizes the default ε range to the input and builds evaluate params', () => {
    const f32 = defaultCurveForm(fakeModel('standard', 32))
    expect(f32.epsMax).toBeCloseTo(2, 6)
    expect(defaultCurveForm(fakeModel('standard', 224)).epsMax).toBeCloseTo(14, 6)
    const p = evaluateParams({ ...f32, points: 4 }, [1, 2])
    expect(p).toMatchObject({ method: 'evaluate', labels: [1, 2], stepFactor: 2.5, minimalEps: true })
    expect(p.epsList).toHaveLength(5)
    expect(p.epsList[0]).toBe(0)
  })

  it('prints minimal flipping ε', () => {
    const r = { minimalEps: [0.3, null, 0], epsList: [0, 1, 2] }
    expect(minimalEpsText(r, 0)).toBe('0.3')
    expect(minimalEpsText(r, 1)).toBe('> 2')
    expect(minimalEpsText(r, 2)).toContain('wrong when clean')
  })

  it('stores and clears a user label', () => {
    const s = new CurveState()
    s.setUserLabel('x', 4)
    expect(s.userLabels).toEqual({ x: 4 })
    s.setUserLabel('x', null)
    expect(s.userLabels).toEqual({})
  })
})
