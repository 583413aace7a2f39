/**
 * A targeted attack's target must be a class the image is not already: never its true class and never either
 * model's prediction (otherwise the attack "reaches" the target at step 0 and shows nothing). The wanted target is
 * kept when valid; else the next class in class order that is valid, with the reason stated.
 */

export interface TargetChoice {
  index: number
  /** Why the wanted target was replaced; null when it was kept. */
  note: string | null
}

export function chooseTarget(
  classes: readonly string[],
  wanted: number,
  avoid: { trueClass: number | null; predicted: readonly number[] }
): TargetChoice {
  const n = classes.length
  const bad = new Map<number, string>()
  for (const p of avoid.predicted) bad.set(p, `a model's prediction`)
  if (avoid.trueClass !== null) bad.set(avoid.trueClass, `the image's true class`)
  const start = wanted >= 0 && wanted < n ? wanted : 0
  if (!bad.has(start)) return { index: start, note: null }
  for (let k = 1; k < n; k++) {
    const i = (start + k) % n
    if (!bad.has(i)) {
      return {
        index: i,
        note: `Target “${classes[start] ?? start}” is ${bad.get(start)}, so the attack would succeed at step 0; using “${classes[i]}” (the next class that is neither the true class nor a model's prediction).`
      }
    }
  }
  return { index: start, note: `Every class is the true class or a prediction; keeping “${classes[start] ?? start}”.` }
}

/** A model's class index by preferred names (first match, case-insensitive), else the fallback index if valid, else 0. */
export function classByName(classes: readonly string[], preferred: readonly string[], fallbackIndex = 0): number {
  const lower = classes.map((c) => c.toLowerCase())
  for (const name of preferred) {
    const i = lower.indexOf(name.toLowerCase())
    if (i >= 0) return i
  }
  return fallbackIndex >= 0 && fallbackIndex < classes.length ? fallbackIndex : 0
}
