/**
 * Exercises mode: where the user is in the sequence, their prediction per exercise (asked before Run enables), and
 * whether each exercise has been run (then "what to look for" shows).
 */
import { EXERCISES, type Exercise } from '../lib/exercises'

export class ExercisesState {
  readonly steps: readonly Exercise[]
  index = $state(0)
  /** The user's prediction per exercise id (a Choice id). */
  predictions = $state<Record<string, string>>({})
  /** Exercises whose run finished. */
  done = $state<Record<string, boolean>>({})

  constructor(steps: readonly Exercise[] = EXERCISES) {
    if (steps.length === 0) throw new Error('an exercise sequence needs at least one step')
    this.steps = steps
  }

  get current(): Exercise {
    return this.steps[this.index]
  }

  get prediction(): string | null {
    return this.predictions[this.current.id] ?? null
  }

  /** Run enables only once a prediction was made for the current exercise. */
  get canRun(): boolean {
    return this.prediction !== null
  }

  get finished(): boolean {
    return this.done[this.current.id] === true
  }

  /** After the run: did the prediction match the lab's expected picture? null before the run. */
  get verdict(): 'matched' | 'differed' | null {
    if (!this.finished || this.prediction === null) return null
    return this.prediction === this.current.expected ? 'matched' : 'differed'
  }

  predict(choiceId: string): void {
    if (!this.current.choices.some((c) => c.id === choiceId)) throw new Error(`no choice '${choiceId}' in exercise ${this.current.id}`)
    this.predictions = { ...this.predictions, [this.current.id]: choiceId }
  }

  markDone(id = this.current.id): void {
    this.done = { ...this.done, [id]: true }
  }

  go(index: number): void {
    this.index = Math.max(0, Math.min(this.steps.length - 1, index))
  }

  next(): void {
    this.go(this.index + 1)
  }

  previous(): void {
    this.go(this.index - 1)
  }

  get isFirst(): boolean {
    return this.index === 0
  }

  get isLast(): boolean {
    return this.index === this.steps.length - 1
  }
}
