import { describe, expect, it } from 'vitest'
import {
  PRESETS,
  PRESET_IDS,
  blueWhiteRed,
  computeScale,
  conventionStamp,
  histogram,
  isPresetId,
  percentile,
  renderMap,
  sharedScale,
  type RawMap
} from '../../src/shared/presets'

/** A 2×2 map from per-pixel RGB triples. */
const map2x2 = (pixels: number[][]): RawMap => ({ data: Float32Array.from(pixels.flat()), height: 2, width: 2 })
const rgbOf = (rgba: Uint8ClampedArray): number[][] => Array.from({ length: rgba.length / 4 }, (_, p) => Array.from(rgba.subarray(4 * p, 4 * p + 3)))
const alphaOf = (rgba: Uint8ClampedArray): number[] => Array.from({ length: rgba.length / 4 }, (_, p) => rgba[4 * p + 3])

// Σ|g| per pixel = 0, 1, 2, 3; max|g| = 0, 1, 1, 1; Σg = 0, 1, 0, 1
const ramp = map2x2([
  [0, 0, 0],
  [1, 0, 0],
  [-1, 1, 0],
  [1, -1, 1]
])

describe('percentile', () => {
  it('interpolates linearly between order statistics like numpy', () => {
    expect(percentile([3, 0, 2, 1], 99)).toBeCloseTo(2.97, 12)
    expect(percentile([3, 0, 2, 1], 50)).toBeCloseTo(1.5, 12)
    expect(percentile([5], 99)).toBe(5)
  })
})

describe('lab preset', () => {
  it('maps each channel to (x − μ_c)/(3σ_c) + 0.5 with the unbiased σ, constant channels to mid-grey', () => {
    // channel 0: [0,0,0,10] → μ 2.5, σ 5; channel 1: [1,-1,1,-1] → μ 0, σ = √(4/3); channel 2 constant
    const m = map2x2([
      [0, 1, 5],
      [0, -1, 5],
      [0, 1, 5],
      [10, -1, 5]
    ])
    const r = renderMap(m, 'lab')
    expect(r.scale).toEqual({ preset: 'lab', mean: [2.5, 0, 5], std: [5, Math.sqrt(4 / 3), 0] })
    expect(rgbOf(r.rgba)).toEqual([
      [85, 201, 128],
      [85, 54, 128],
      [85, 201, 128],
      [255, 54, 128]
    ])
    expect(alphaOf(r.rgba)).toEqual([255, 255, 255, 255])
  })
})

describe('smoothgrad preset', () => {
  it('draws Σ_c|g| as grey, scaled by (m − min)/(p99 − min) and clipped at the 99th percentile', () => {
    const r = renderMap(ramp, 'smoothgrad')
    expect(r.scale.preset).toBe('smoothgrad')
    if (r.scale.preset !== 'smoothgrad') return
    expect(r.scale.min).toBe(0)
    expect(r.scale.clip).toBeCloseTo(2.97, 12)
    // 1/2.97·255 = 85.86, 2/2.97·255 = 171.7, 3 clips
    expect(rgbOf(r.rgba)).toEqual([
      [0, 0, 0],
      [86, 86, 86],
      [172, 172, 172],
      [255, 255, 255]
    ])
  })
})

describe('simonyan preset', () => {
  it('draws max_c|g| divided by the maximum', () => {
    const m = map2x2([
      [0, 0, 0],
      [-2, 1, 0],
      [0, 0.5, 0],
      [0, 0, 4]
    ])
    const r = renderMap(m, 'simonyan')
    expect(r.scale).toEqual({ preset: 'simonyan', max: 4 })
    // 2/4 → 127.5 rounds to even (128), 0.5/4 → 31.875
    expect(rgbOf(r.rgba).map((p) => p[0])).toEqual([0, 128, 32, 255])
  })
})

describe('diverging preset', () => {
  it('maps Σ_c g through s = |p99| onto blue-white-red with zero at white', () => {
    // Σg per pixel: -2, 0, 1, 2 → p99 = 1.97
    const m = map2x2([
      [-1, -1, 0],
      [1, -1, 0],
      [1, 0, 0],
      [1, 1, 0]
    ])
    const r = renderMap(m, 'diverging')
    expect(r.scale.preset === 'diverging' && r.scale.span).toBeCloseTo(1.97, 6)
    // 1 → (1 + 1.97)/3.94 = 0.7538 → red half, g = b = 255·(1 − 0.5076) = 125.6
    expect(rgbOf(r.rgba)).toEqual([
      [0, 0, 255],
      [255, 255, 255],
      [255, 126, 126],
      [255, 0, 0]
    ])
  })

  it('draws an all-zero map as white instead of dividing by zero', () => {
    const r = renderMap(map2x2([[0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0]]), 'diverging')
    expect(rgbOf(r.rgba)).toEqual([[255, 255, 255], [255, 255, 255], [255, 255, 255], [255, 255, 255]])
  })

  it('has blue at 0 and red at 1', () => {
    expect(blueWhiteRed(0)).toEqual([0, 0, 255])
    expect(blueWhiteRed(1)).toEqual([255, 0, 0])
    expect(blueWhiteRed(0.25)).toEqual([127.5, 127.5, 255])
  })
})

describe('perturbation preset', () => {
  it('draws δ/max|δ|·0.2 + 0.5 per channel and states the amplification', () => {
    const m = map2x2([
      [0.25, -0.25, 0],
      [0.125, 0, 0],
      [0, 0, 0],
      [0, 0, -0.0625]
    ])
    const r = renderMap(m, 'perturbation')
    expect(r.scale).toEqual({ preset: 'perturbation', maxAbs: 0.25, amplification: 0.8 })
    expect(r.rgba[4 * 1]).toBe(153) // 0.125·0.8 + 0.5 = 0.6 → 153
    expect(r.rgba[4 * 3 + 2]).toBe(115) // −0.0625·0.8 + 0.5 = 0.45 → 114.75
    expect(r.rgba[4 * 2]).toBe(128) // 0 → 127.5 → 128
  })
})

describe('shared scale', () => {
  it('takes the normalisation from both maps so the weaker map draws darker', () => {
    const weak = map2x2([[1, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0]])
    const strong = map2x2([[4, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0]])
    const shared = sharedScale(weak, strong, 'simonyan')
    expect(shared).toEqual({ preset: 'simonyan', max: 4 })
    expect(renderMap(weak, 'simonyan', shared).rgba[0]).toBe(64)
    expect(renderMap(weak, 'simonyan').rgba[0]).toBe(255)
  })

  it('pools per-channel statistics over both maps for the lab preset', () => {
    const a = map2x2([[0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0]])
    const b = map2x2([[8, 0, 0], [8, 0, 0], [8, 0, 0], [8, 0, 0]])
    const s = sharedScale(a, b, 'lab')
    expect(s.preset === 'lab' && s.mean[0]).toBe(4)
    // eight values 0,0,0,0,8,8,8,8: unbiased variance 16·8/7
    expect(s.preset === 'lab' && s.std[0]).toBeCloseTo(Math.sqrt(128 / 7), 12)
  })

  it('refuses a scale computed for another preset', () => {
    expect(() => renderMap(ramp, 'lab', computeScale(ramp, 'simonyan'))).toThrow(/preset 'simonyan'/)
  })
})

describe('histogram', () => {
  it('bins the preset quantity and reports the clip threshold', () => {
    const h = histogram(ramp, 'smoothgrad', 3)
    expect(h.quantity).toBe('sum |g|')
    expect(h.counts).toEqual([1, 1, 2])
    expect(h.min).toBe(0)
    expect(h.max).toBe(3)
    expect(h.thresholds[0]).toBeCloseTo(2.97, 12)
  })

  it('leaves non-finite values out of the bins', () => {
    const h = histogram(map2x2([[NaN, 0, 0], [1, 0, 0], [2, 0, 0], [Infinity, 0, 0]]), 'simonyan', 2, { preset: 'simonyan', max: 2 })
    expect([h.min, h.max]).toEqual([1, 2])
    expect(h.counts).toEqual([1, 1])
  })

  it('gives the lab preset ±3σ thresholds per channel', () => {
    const h = histogram(ramp, 'lab', 4)
    expect(h.thresholds).toHaveLength(6)
    expect(h.counts.reduce((a, b) => a + b, 0)).toBe(12)
  })
})

describe('preset registry', () => {
  it('has an id, a label and a convention line for every preset', () => {
    for (const id of PRESET_IDS) {
      expect(PRESETS[id].id).toBe(id)
      expect(PRESETS[id].label.length).toBeGreaterThan(0)
      expect(PRESETS[id].convention).not.toMatch(/\n/)
    }
    expect(isPresetId('lab')).toBe(true)
    expect(isPresetId('jet')).toBe(false)
  })

  it('stamps the convention and the scale', () => {
    expect(conventionStamp({ preset: 'simonyan', max: 4 }, ['score gradient'])).toBe(
      'Simonyan (max |·|): grayscale max_c|g_c| / max (Simonyan et al. 2013) · max = 4.000 · score gradient'
    )
  })

  it('rejects a map whose length does not match its size', () => {
    expect(() => renderMap({ data: new Float32Array(5), height: 1, width: 2 }, 'lab')).toThrow(/needs 6 values/)
  })
})
