import { describe, expect, it } from 'vitest'
import { featureVizPreset } from '../../../src/main/engine/featureviz/presets'
import { pixelStart } from '../../../src/main/engine/featureviz/parameterization'
import { iterateSchedule } from '../../../src/main/engine/optimize'
import { deriveSeed, Rng } from '../../../src/main/engine/rng'

describe('iterate schedule', () => {
  it('keeps evenly spaced iterates, always the last; all when asked for more than exist; none for 0', () => {
    expect([...iterateSchedule(20, 4)]).toEqual([5, 10, 15, 20])
    expect([...iterateSchedule(3, 10)]).toEqual([0, 1, 2, 3])
    expect([...iterateSchedule(7, 1)]).toEqual([7])
    expect(iterateSchedule(5, 0).size).toBe(0)
  })
})

describe('feature-visualization presets', () => {
  it('carry the 224² recipes RMS-preserving to 32×32 (× 1/7) and keep them at 224²', () => {
    const lab = featureVizPreset('lab-vi2', 32, 32)
    expect(lab.stepSize).toBeCloseTo(5 / 7, 10)
    expect(lab.eps).toBeCloseTo(1000 / 7, 10)
    expect(lab.steps).toBe(20)
    const direct = featureVizPreset('robust-representations-direct', 224, 224)
    expect(direct).toMatchObject({ fakeRelu: true, start: 'noise', noiseSigma: 0.05, eps: 1000, stepSize: 1, steps: 200 })
  })
})

describe('seeded randomness', () => {
  it('same seed → same numbers, different streams differ, Gaussian moments are right', () => {
    expect(Array.from(new Rng(5).gaussianArray(4))).toEqual(Array.from(new Rng(5).gaussianArray(4)))
    expect(deriveSeed(1, 2, 3)).not.toBe(deriveSeed(1, 3, 2))
    const g = new Rng(9).gaussianArray(20000)
    const mean = g.reduce((s, v) => s + v, 0) / g.length
    const variance = g.reduce((s, v) => s + (v - mean) ** 2, 0) / g.length
    expect(Math.abs(mean)).toBeLessThan(0.03)
    expect(Math.abs(variance - 1)).toBeLessThan(0.05)
  })

  it('noise starts are clamp(0.5 + σ·n) and reproducible', () => {
    const images = new Float32Array(2 * 12).fill(0.2)
    const a = pixelStart('noise', images, [2, 2, 2, 3], 1, 3)
    expect(Array.from(a)).toEqual(Array.from(pixelStart('noise', images, [2, 2, 2, 3], 1, 3)))
    expect(Math.min(...a)).toBeGreaterThanOrEqual(0)
    expect(Math.max(...a)).toBeLessThanOrEqual(1)
    expect(a.some((v) => v === 0 || v === 1)).toBe(true) // σ = 1 saturates (lab Bonus I)
    expect(Array.from(pixelStart('gray', images, [2, 2, 2, 3], 1, 3))).toEqual(new Array(24).fill(0.5))
  })
})
