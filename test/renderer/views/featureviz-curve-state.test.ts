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
import { CurveState, accuracyIntervals, evaluateParams, logGrid, minimalEpsText, wilson, defaultCurveForm } from '../../../src/renderer/src/state/curve.svelte'
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

  it('gives the 95 % Wilson interval: inside [0, 1], wide for small n, the textbook value for 8 of 10', () => {
    // 8/10: Wilson 95 % = 0.490–0.943 (Newcombe 1998, table I style computation)
    const ci = wilson(8, 10)
    expect(ci.lo).toBeCloseTo(0.4902, 3)
    expect(ci.hi).toBeCloseTo(0.9433, 3)
    // 2 of 2 correct is not "100 %": the interval reaches down to 34 %
    expect(wilson(2, 2).lo).toBeCloseTo(0.3424, 3)
    expect(wilson(2, 2).hi).toBe(1)
    expect(wilson(0, 2).lo).toBe(0)
    expect(wilson(0, 0)).toEqual({ lo: 0, hi: 1 })
    const rows = accuracyIntervals({ accuracy: [1, 0.5] }, 4)
    expect(rows[1].acc).toBe(0.5)
    expect(rows[1].lo).toBeLessThan(0.5)
    expect(rows[1].hi).toBeGreaterThan(0.5)
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

  it('switching the threat resets the ε range to that threat\'s preset and says so, never reinterpreting ε', () => {
    const s = new CurveState()
    const model = fakeModel('standard', 32)
    s.resetFor(model)
    s.setThreat('linf', model)
    expect(s.form.threat).toBe('linf')
    expect(s.form.epsMax).toBeCloseTo(16 / 255, 3)
    expect(s.note).toMatch(/L∞.*preset/)
    s.setThreat('l2', model)
    expect(s.form.epsMax).toBeCloseTo(2, 6)
  })
})
