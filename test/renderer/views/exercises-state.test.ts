import { describe, expect, it } from 'vitest'
import { EXERCISES, resolveAttackExercise, resolveFeatureVizExercise, type AttackExercise, type FeatureVizExercise } from '../../../src/renderer/src/lib/exercises'
import { ExercisesState } from '../../../src/renderer/src/state/exercises.svelte'
import { fakeModel } from './fixtures'

const byId = (id: string) => EXERCISES.find((e) => e.id === id)!

describe('exercise definitions (science.md §1)', () => {
  it('cover I–VI and both bonuses in order', () => {
    expect(EXERCISES.map((e) => e.id)).toEqual(['I', 'II', 'III', 'IV', 'V', 'VI.1', 'VI.2', 'bonus-I', 'bonus-II'])
    for (const e of EXERCISES) expect(e.choices.map((c) => c.id)).toContain(e.expected)
  })

  it('III uses CIFAR-10\'s radius ε 0.5 / step 0.2 on 32² inputs (stated), and maps the butterfly target onto CIFAR', () => {
    const r = resolveAttackExercise(byId('III') as AttackExercise, fakeModel('standard', 32))
    expect(r.patch).toMatchObject({ eps: 0.5, stepSize: 0.2, steps: 20, targeted: true, randomStart: false, useBest: false })
    expect(r.targetName).toBe('bird')
    expect(r.notes.join(' ')).toContain('instead of the lab\'s ε 1.25')
    expect(r.notes.join(' ')).toContain('cabbage butterfly')
  })

  it('V scales ε 100 / step 5 to 32² by RMS (√(d/d₂₂₄)) and targets horse, not the default cat sample\'s class', () => {
    const r = resolveAttackExercise(byId('V') as AttackExercise, fakeModel('robust', 32))
    expect(r.patch.eps).toBeCloseTo(14.29, 2)
    expect(r.targetName).toBe('horse')
    expect(r.notes.join(' ')).toContain('√(d/d₂₂₄)')
  })

  it('V keeps ε 100 / step 5 at 224² and targets a class named primate when the model has one', () => {
    const rin = { ...fakeModel('robust', 224), classes: ['dog', 'cat', 'frog', 'turtle', 'bird', 'primate', 'fish', 'crab', 'insect'] }
    const r = resolveAttackExercise(byId('V') as AttackExercise, rin)
    expect(r.patch).toMatchObject({ eps: 100, stepSize: 5, targetClass: 5 })
    expect(r.notes).toEqual([])
  })

  it('bonus I starts from σ = 1 noise for 200 steps; the coordinate is left to each model\'s most active one', () => {
    const r = resolveFeatureVizExercise(byId('bonus-I') as FeatureVizExercise, fakeModel('robust', 32, 64))
    expect(r.patch).toMatchObject({ start: 'noise', noiseSigma: 1, steps: 200 })
    // the coordinate is each model's most active one (the view's default), not the lab's fixed index
    expect(r.patch.feature).toBeUndefined()
    expect(r.notes.join(' ')).toMatch(/most active/)
    expect(r.notes.join(' ')).toContain('64 coordinates')
  })
})

describe('exercise sequencing', () => {
  it('enables Run only after a prediction and shows the verdict only after the run', () => {
    const s = new ExercisesState()
    expect(s.canRun).toBe(false)
    s.predict('no')
    expect(s.canRun).toBe(true)
    expect(s.verdict).toBeNull()
    s.markDone()
    expect(s.verdict).toBe('matched')
  })

  it('rejects a choice the exercise does not offer', () => {
    expect(() => new ExercisesState().predict('maybe')).toThrow(/no choice/)
  })

  it('keeps predictions per exercise while moving through the sequence, clamped at both ends', () => {
    const s = new ExercisesState()
    s.predict('yes')
    s.next()
    expect(s.current.id).toBe('II')
    expect(s.canRun).toBe(false)
    s.previous()
    s.previous()
    expect(s.isFirst).toBe(true)
    expect(s.prediction).toBe('yes')
    s.go(99)
    expect(s.isLast).toBe(true)
    expect(s.current.id).toBe('bonus-II')
  })
})
