import { describe, expect, it } from 'vitest'
import type { StepTelemetry } from '../../../src/shared/jobs'
import type { ModelInfo } from '../../../src/shared/model-format'
import {
  AttackState,
  DEFAULT_ATTACK,
  evaluationPreset,
  labExactPreset,
  sideBySideRequests,
  telemetryAt,
  telemetrySeries,
  flipText
} from '../../../src/renderer/src/state/attack.svelte'
import { top1 } from '../../../src/renderer/src/lib/predictions'
import { LinkedParams } from '../../../src/renderer/src/state/side-by-side/linked.svelte'
import { classByName } from '../../../src/renderer/src/lib/targets'
import { epsHint, labScale } from '../../../src/renderer/src/lib/eps'
import { fakeModel } from './fixtures'

const step = (s: number, over: Partial<StepTelemetry> = {}): StepTelemetry => ({
  step: s,
  loss: [2 - s * 0.1, 5],
  pTrue: [0.9 - s * 0.05, 0.5],
  pTarget: [0.01 * s, 0.1],
  top5: [[{ index: 1, p: 0.9 }], [{ index: 2, p: 0.5 }]],
  deltaL2: [0.1 * s, 0.2],
  deltaLinf: [0.01 * s, 0.02],
  gradNorm: [1, 1],
  ...over
})

describe('LinkedParams', () => {
  it('moves both sides together while linked and only one side when unlinked', () => {
    const p = new LinkedParams({ eps: 1, steps: 5 })
    p.set('robust', 'eps', 2)
    expect(p.get('standard').eps).toBe(2)
    expect(p.get('robust').eps).toBe(2)
    p.setLinked(false)
    p.set('robust', 'eps', 3)
    expect(p.get('standard').eps).toBe(2)
    expect(p.get('robust').eps).toBe(3)
  })

  it('re-linking copies the chosen side to the other', () => {
    const p = new LinkedParams({ eps: 1, steps: 5 })
    p.setLinked(false)
    p.set('robust', 'eps', 7)
    p.setLinked(true, 'robust')
    expect(p.snapshot('standard')).toEqual({ eps: 7, steps: 5 })
  })

  it('restores null only where the default is null (an unset class), never for a number such as ε', () => {
    const defaults = { eps: 1, targetClass: null as number | null }
    const p = new LinkedParams({ ...defaults })
    p.restore({ 'standard.eps': null, 'standard.targetClass': 4, 'robust.targetClass': null, 'robust.eps': 2 }, defaults)
    expect(p.snapshot('standard')).toEqual({ eps: 1, targetClass: 4 })
    expect(p.snapshot('robust')).toEqual({ eps: 2, targetClass: null })
  })
})

describe('ε scaling (science.md §8)', () => {
  it('carries 224² values to 32² by 1/7 and leaves 224² alone', () => {
    expect(labScale(fakeModel('standard', 32))).toBeCloseTo(1 / 7, 6)
    expect(labScale(fakeModel('standard', 224))).toBe(1)
  })

  it('states the per-value RMS change and when the ball is inactive', () => {
    expect(epsHint(0.5, 'l2', fakeModel('standard', 32))).toContain('2.3/255')
    expect(epsHint(100, 'l2', fakeModel('standard', 32))).toContain('inactive')
    expect(epsHint(8 / 255, 'linf', fakeModel('standard', 32))).toContain('8/255')
  })

  it('maps class names case-insensitively with a fallback index', () => {
    expect(classByName(['cat', 'Frog'], ['turtle', 'frog'], 0)).toBe(1)
    expect(classByName(['cat', 'dog'], ['turtle'], 1)).toBe(1)
    expect(classByName(['cat', 'dog'], ['turtle'], 324)).toBe(0)
  })
})

describe('image-dependent attack parameters', () => {
  it('a new image resets the true class and the target to their defaults on both sides, unless pinned', () => {
    const a = new AttackState()
    a.params.setLinked(false)
    a.params.apply({ trueClass: 3, targetClass: 7, targeted: true, eps: 2 }, 'robust')
    a.params.apply({ trueClass: 1 }, 'standard')
    a.imageChanged()
    for (const role of ['standard', 'robust'] as const) expect(a.params.get(role)).toMatchObject({ trueClass: null, targetClass: DEFAULT_ATTACK.targetClass })
    expect(a.params.robust).toMatchObject({ targeted: true, eps: 2 }) // only what describes the image
    a.params.apply({ trueClass: 3, targetClass: 7 })
    a.pinned = true
    a.imageChanged()
    expect(a.params.standard).toMatchObject({ trueClass: 3, targetClass: 7 })
  })
})

describe('attack presets', () => {
  it('lab-exact scales ε 1.25 / step 0.5 to 32² and turns random start and use-best off', () => {
    const { patch, note } = labExactPreset(fakeModel('standard', 32))
    expect(patch.eps).toBeCloseTo(1.25 / 7, 3)
    expect(patch.stepSize).toBeCloseTo(0.5 / 7, 3)
    expect(patch).toMatchObject({ steps: 20, randomStart: false, useBest: false, restarts: 0 })
    expect(note).toContain('scaled')
  })

  it('evaluation uses random start, use-best and step 2.5·ε/steps', () => {
    const { patch } = evaluationPreset({ eps: 0.5, steps: 20 })
    expect(patch).toMatchObject({ randomStart: true, useBest: true })
    expect(patch.stepSize).toBeCloseTo(0.0625, 6)
  })

  it('applying a preset then moving a slider marks the parameters custom', () => {
    const s = new AttackState()
    s.applyPreset('lab-exact', fakeModel('standard', 32))
    expect(s.preset).toBe('lab-exact')
    expect(s.params.robust.eps).toBeCloseTo(0.1786, 3)
    s.set('standard', 'steps', 7)
    expect(s.preset).toBe('custom')
    expect(s.params.robust.steps).toBe(7)
  })
})

describe('side-by-side requests', () => {
  const pair = { standard: fakeModel('standard', 32), robust: fakeModel('robust', 32) }
  const batchFor = (m: ModelInfo) => ({ data: new Float32Array(m.input.height * m.input.width * 3), shape: [1, m.input.height, m.input.width, 3] as [number, number, number, 3] })
  const toMethod = (f: typeof DEFAULT_ATTACK) => ({ method: 'attack' as const, ...f })

  it('linked parameters give one twin run over both models', () => {
    const p = new LinkedParams({ ...DEFAULT_ATTACK })
    const jobs = sideBySideRequests(pair, p, batchFor, toMethod)
    expect(jobs).toHaveLength(1)
    expect(jobs[0].request.models).toEqual(['standard-id', 'robust-id'])
    expect(jobs[0].roles).toEqual(['standard', 'robust'])
  })

  it('unlinked parameters give one job per model with its own values', () => {
    const p = new LinkedParams({ ...DEFAULT_ATTACK })
    p.setLinked(false)
    p.set('robust', 'eps', 1)
    const jobs = sideBySideRequests(pair, p, batchFor, toMethod)
    expect(jobs.map((j) => j.request.models)).toEqual([['standard-id'], ['robust-id']])
    expect((jobs[1].request.params as { eps: number }).eps).toBe(1)
    expect((jobs[0].request.params as { eps: number }).eps).toBe(0.5)
  })

  it('a single installed model still gets a job', () => {
    const jobs = sideBySideRequests({ robust: pair.robust }, new LinkedParams({ ...DEFAULT_ATTACK }), batchFor, toMethod)
    expect(jobs).toHaveLength(1)
    expect(jobs[0].request.models).toEqual(['robust-id'])
  })

  it('models of different input sizes get separate batches even when linked', () => {
    const mixed = { standard: fakeModel('standard', 32), robust: fakeModel('robust', 64) }
    const jobs = sideBySideRequests(mixed, new LinkedParams({ ...DEFAULT_ATTACK }), batchFor, toMethod)
    expect(jobs.map((j) => j.request.images.shape[1])).toEqual([32, 64])
  })
})

describe('telemetry → chart series', () => {
  it('extracts one image\'s curves with ‖δ‖/ε as the budget used', () => {
    const s = telemetrySeries([step(1), step(2)], 0, 0.4, 'l2')
    expect(s.steps).toEqual([1, 2])
    expect(s.loss[1]).toBeCloseTo(1.8)
    expect(s.budget[1]).toBeCloseTo(0.5)
    expect(s.pTarget).toEqual([0.01, 0.02])
  })

  it('uses the L∞ norm for L∞ attacks and collapses a repeated step to its latest entry', () => {
    const s = telemetrySeries([step(1), step(1, { deltaLinf: [0.03, 0] }), step(2)], 0, 0.03, 'linf')
    expect(s.steps).toEqual([1, 2])
    expect(s.budget[0]).toBeCloseTo(1)
  })

  it('finds the telemetry at or before a kept iterate\'s step', () => {
    expect(telemetryAt([step(1), step(3), step(5)], 4)?.step).toBe(3)
    expect(telemetryAt([step(2)], 1)).toBeUndefined()
  })

  it('reads top-1 and the flip text', () => {
    const pred = { probabilities: new Float32Array([0.1, 0.7, 0.2, 0.6, 0.3, 0.1]), classes: 3 }
    expect(top1(pred, 1)).toEqual({ index: 0, p: expect.closeTo(0.6, 5) })
    expect(flipText({ flippedAt: [4], targetClass: 2 }, 0, ['a', 'b', 'c'])).toBe('reached “c” at step 4')
    expect(flipText({ flippedAt: [null], targetClass: null }, 0, [])).toBe('prediction never flipped')
  })
})

describe('LinkedParams records (settings and experiment cards)', () => {
  it('round-trips unlinked values and ignores unknown or ill-typed keys', () => {
    const defaults = { eps: 0.5, targetClass: null as number | null, threat: 'l2' }
    const a = new LinkedParams({ ...defaults })
    a.setLinked(false)
    a.set('robust', 'eps', 2)
    a.set('robust', 'targetClass', 3)
    const record = a.toRecord()
    expect(record).toMatchObject({ linked: false, 'standard.eps': 0.5, 'robust.eps': 2, 'robust.targetClass': 3, 'standard.targetClass': null })
    const b = new LinkedParams({ ...defaults })
    b.restore({ ...record, 'standard.eps': 'big', 'robust.bogus': 1 }, defaults)
    expect(b.linked).toBe(false)
    expect(b.snapshot('robust')).toEqual({ eps: 2, targetClass: 3, threat: 'l2' })
    expect(b.snapshot('standard').eps).toBe(0.5)
  })
})

describe('perturbation display', () => {
  it('amplifies δ so the largest change spans the range and states the factor', async () => {
    const { amplify, iterateDelta } = await import('../../../src/renderer/src/state/attack.svelte')
    const delta = new Float32Array([0.1, -0.05, 0, /* image 2 */ 0.2, 0.2, -0.2])
    const a = amplify(delta, 0, 3)
    expect(a.factor).toBeCloseTo(5)
    expect([...a.pixels].map((v) => Number(v.toFixed(3)))).toEqual([1, 0.25, 0.5])
    // a forced factor (the scrubber shares the final result's scale) clips instead of rescaling
    expect([...amplify(delta, 1, 3, 5).pixels]).toEqual([1, 1, 0])
    const d = iterateDelta(new Float32Array([0.6, 0.4, 0.5, 1, 1, 1]), new Float32Array([0.5, 0.5, 0.5, 0, 0, 0]), 0, 3)
    expect([...d].map((v) => Number(v.toFixed(3)))).toEqual([0.1, -0.1, 0])
  })
})
