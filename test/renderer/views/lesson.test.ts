/**
 * The pieces that keep the lesson honest: dataset keys and labels, targets that are never the truth or a
 * prediction, the default image (both models right), L2 ↔ L∞ at the same RMS per value, the exercises' outcome
 * checks, the out-of-classes note.
 */
import { describe, expect, it } from 'vitest'
import type { AttackResult, FeatureVizResult } from '../../../src/shared/jobs'
import { datasetKey, resolveLabel, sampleLabels } from '../../../src/renderer/src/lib/labels'
import { chooseTarget } from '../../../src/renderer/src/lib/targets'
import { rankSamples } from '../../../src/renderer/src/state/sample-ranking.svelte'
import { convertBudget } from '../../../src/renderer/src/lib/eps'
import { AttackState } from '../../../src/renderer/src/state/attack.svelte'
import { checkOutcome, VISIBLE_RMS } from '../../../src/renderer/src/lib/exercise-outcomes'
import { EXERCISES } from '../../../src/renderer/src/lib/exercises'
import { outOfClasses } from '../../../src/renderer/src/lib/predictions'
import { attackFormFor, trueClassText } from '../../../src/renderer/src/state/image-truth'
import { DEFAULT_ATTACK } from '../../../src/renderer/src/state/attack.svelte'
import { CIFAR, fakeModel } from './fixtures'

const ex = (id: string) => EXERCISES.find((e) => e.id === id)!

describe('labels', () => {
  it('finds the dataset key in a model card\'s free text', () => {
    expect(datasetKey({ training: { dataset: 'CIFAR-10 (development JPEGs, quality-75)' } } as never)).toBe('cifar10')
    expect(datasetKey({ training: { dataset: 'Imagenette (fast.ai), 160 px' } } as never)).toBe('imagenette')
    expect(datasetKey({ training: { dataset: 'random' } } as never)).toBe('random')
  })

  it('keeps samples.json backward compatible: a legacy label matches by class name, per-dataset labels win', () => {
    const model = fakeModel('standard')
    expect(resolveLabel({ labels: sampleLabels({ label: 'cat' }), picked: {} }, model)).toEqual({ index: 3, name: 'cat', source: 'sample' })
    expect(resolveLabel({ labels: sampleLabels({ label: 'cat', labels: { cifar10: 'dog' } }), picked: {} }, model)?.name).toBe('dog')
    expect(resolveLabel({ labels: sampleLabels({ label: null, labels: { imagenette: 'church' } }), picked: {} }, model)).toBeNull()
    expect(resolveLabel({ labels: {}, picked: { cifar10: 'frog' } }, model)).toEqual({ index: 6, name: 'frog', source: 'user' })
  })
})

describe('targets', () => {
  it('keeps a valid target, and moves off the true class or a prediction to the next valid class, saying why', () => {
    expect(chooseTarget(CIFAR, 6, { trueClass: 3, predicted: [3, 3] })).toEqual({ index: 6, note: null })
    const horse = chooseTarget(CIFAR, 7, { trueClass: 7, predicted: [7, 8] })
    expect(horse.index).toBe(9)
    expect(horse.note).toContain('“horse” is the image\'s true class')
    expect(chooseTarget(CIFAR, 2, { trueClass: 3, predicted: [2, 3] }).note).toContain("a model's prediction")
  })

  it('an attack form takes the image\'s label as its true class and says where it came from', () => {
    const truth = { label: { index: 2, name: 'bird', source: 'sample' as const }, predicted: [2, 2] }
    const { form, notes } = attackFormFor({ ...DEFAULT_ATTACK, targeted: true, targetClass: 2 }, truth, CIFAR)
    expect(form.trueClass).toBe(2)
    expect(form.targetClass).toBe(3)
    expect(notes[0]).toContain('“bird”')
    expect(trueClassText({ trueClass: null }, truth, CIFAR)).toEqual({ text: "true class: bird (the sample's label)", assumed: false })
    expect(trueClassText({ trueClass: null }, { label: null, predicted: [] }, CIFAR).assumed).toBe(true)
  })
})

describe('default image', () => {
  const preds = (rows: number[][]) => ({ probabilities: new Float32Array(rows.flat()), classes: rows[0].length })
  it('ranks the samples both models get right first, then by the smaller confidence', () => {
    const samples = [
      { id: 'a', title: 'A', label: { index: 0, name: 'x', source: 'sample' as const } },
      { id: 'b', title: 'B', label: { index: 1, name: 'y', source: 'sample' as const } },
      { id: 'c', title: 'C', label: { index: 1, name: 'y', source: 'sample' as const } }
    ]
    // a: standard right, robust wrong; b: both right (min 0.6); c: both right (min 0.7)
    const std = preds([[0.9, 0.1], [0.2, 0.8], [0.3, 0.7]])
    const rob = preds([[0.4, 0.6], [0.4, 0.6], [0.2, 0.8]])
    const ranked = rankSamples(samples, [{ modelId: 's', predictions: std }, { modelId: 'r', predictions: rob }])
    expect(ranked.map((v) => [v.id, v.correct])).toEqual([['c', true], ['b', true], ['a', false]])
    expect(ranked[0].confidence).toBeCloseTo(0.7, 6)
    expect(ranked[2].predicted).toEqual({ s: 0, r: 1 })
    // clip art ranks after every photo the models get right, however confident
    const withClipart = rankSamples([{ ...samples[2], clipart: true }, samples[1]], [
      { modelId: 's', predictions: preds([[0.01, 0.99], [0.2, 0.8]]) },
      { modelId: 'r', predictions: preds([[0.01, 0.99], [0.4, 0.6]]) }
    ])
    expect(withClipart.map((v) => v.id)).toEqual(['b', 'c'])
  })
})

describe('threat switch', () => {
  it('converts ε and step at the same RMS change per value and says so; switching back restores them', () => {
    const model = fakeModel('standard', 32)
    expect(convertBudget(0.5, 'l2', 'linf', model)).toBeCloseTo(0.5 / Math.sqrt(3072), 6)
    const a = new AttackState()
    a.params.apply({ eps: 0.5, stepSize: 0.0625 })
    a.setThreat('standard', 'linf', model)
    expect(a.params.robust.threat).toBe('linf')
    expect(a.params.robust.eps).toBeCloseTo(0.009021, 5)
    expect(a.presetNote).toContain('same RMS change per value')
    expect(a.presetNote).toContain('2.3/255')
    a.setThreat('standard', 'l2', model)
    expect(a.params.standard.eps).toBeCloseTo(0.5, 3)
  })
})

describe('exercise outcomes', () => {
  const model = fakeModel('standard', 2)
  const attack = (flipped: number | null, peak: number, delta = 0.01): AttackResult => ({
    method: 'attack',
    adversarial: new Float32Array(12),
    perturbation: new Float32Array(12).fill(delta),
    shape: [1, 2, 2, 3],
    trueClass: [3],
    targetClass: 6,
    before: { probabilities: new Float32Array(10).map((_, i) => (i === 3 ? 0.9 : 0.01)), classes: 10 },
    after: { probabilities: new Float32Array(10).map((_, i) => (i === (flipped === null ? 3 : 6) ? 0.9 : 0.01)), classes: 10 },
    flippedAt: [flipped],
    telemetry: [{ step: 1, loss: [1], pTrue: [0.5], pTarget: [peak], top5: [[]], deltaL2: [0.1], deltaLinf: [0.01], gradNorm: [1] }],
    iterates: []
  })
  const side = (role: 'standard' | 'robust', result: AttackResult | FeatureVizResult) => ({ role, model: { ...model, role }, result })

  it('III passes when the standard model reaches the target, and says so honestly when it does not', () => {
    expect(checkOutcome(ex('III'), [side('standard', attack(4, 0.9))])).toMatchObject({ ok: true, text: expect.stringContaining('reached “frog” at step 4') })
    expect(checkOutcome(ex('III'), [side('standard', attack(null, 0.3))])).toMatchObject({ ok: false, text: expect.stringContaining('did not reach “frog”') })
  })

  it('IV passes only when the robust model keeps p(target) below 50 %', () => {
    const ok = checkOutcome(ex('IV'), [side('standard', attack(3, 0.9)), side('robust', attack(null, 0.2))])
    expect(ok).toMatchObject({ ok: true, text: expect.stringContaining('The robust model resisted: p(“frog”) stayed below 50 %') })
    expect(ok?.text).toContain('The standard model, same attack: reached')
    expect(checkOutcome(ex('IV'), [side('robust', attack(null, 0.6))])?.ok).toBe(false)
    expect(checkOutcome(ex('IV'), [side('robust', attack(5, 0.9))])?.text).toContain('did not resist')
  })

  it('V needs a visible change that reaches the target', () => {
    expect(checkOutcome(ex('V'), [side('robust', attack(9, 0.9, VISIBLE_RMS * 2))])?.ok).toBe(true)
    expect(checkOutcome(ex('V'), [side('robust', attack(9, 0.9, VISIBLE_RMS / 4))])?.ok).toBe(false)
  })

  it('VI.2 needs the activation to rise on both models', () => {
    const fv = (start: number, end: number): FeatureVizResult => ({ method: 'featureViz', images: new Float32Array(12), shape: [1, 2, 2, 3], feature: 5, activationStart: [start], activationEnd: [end], after: { probabilities: new Float32Array(10), classes: 10 }, telemetry: [], iterates: [] }) as FeatureVizResult
    expect(checkOutcome(ex('VI.2'), [side('standard', fv(1, 4)), side('robust', fv(2, 3))])?.ok).toBe(true)
    const dead = checkOutcome(ex('VI.2'), [side('standard', fv(0, 0)), side('robust', fv(2, 3))])
    expect(dead).toMatchObject({ ok: false, text: expect.stringContaining('the standard model') })
    expect(checkOutcome(ex('I'), [])).toBeNull()
  })
})

describe('out of classes', () => {
  it('flags a flat or unsure prediction and not a confident one', () => {
    const p = (row: number[]) => ({ probabilities: new Float32Array(row), classes: row.length })
    expect(outOfClasses(p([0.9, 0.05, 0.05])).likely).toBe(false)
    expect(outOfClasses(p([0.45, 0.35, 0.2])).likely).toBe(true)
  })
})
