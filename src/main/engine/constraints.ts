/**
 * Threat models of the projected-gradient loop as small objects (MadryLab robustness's AttackerStep idea): how a
 * gradient becomes a step direction, how a perturbation δ = x − centre is projected back into the set, and how a
 * random start inside the set is drawn. All per example, on plain arrays; [0,1] clamping is the loop's.
 *
 *   L2 ball:        direction g/(‖g‖₂ + 1e-10);  δ ← δ·min(1, ε/(‖δ‖₂ + 1e-12));  random start ON the ε-sphere
 *   L∞ box:         direction sign g;             δ ← clamp(δ, −ε, ε);               random start U(−ε, ε) per pixel
 *   unconstrained:  direction g/(‖g‖₂ + 1e-10);  no projection (the L2 ball with ε = ∞); no random start
 */
import type { Rng } from './rng'

export interface Constraint {
  readonly name: 'l2' | 'linf' | 'unconstrained'
  /** Writes the unit step direction of one example's gradient `g` into `out`. */
  direction(g: Float32Array, out: Float64Array): void
  /** Projects one example's δ onto the set of radius `eps`, in place. */
  project(delta: Float64Array, eps: number): void
  /** A random start around one example's `center` within radius `eps`, clamped to [0,1], written into `out`. */
  randomStart(center: Float32Array, rng: Rng, eps: number, out: Float32Array): void
}

const clamp01 = (v: number): number => Math.min(1, Math.max(0, v))

function l2Norm(v: ArrayLike<number>): number {
  let s = 0
  for (let j = 0; j < v.length; j++) s += v[j] * v[j]
  return Math.sqrt(s)
}

function l2Direction(g: Float32Array, out: Float64Array): void {
  const scale = 1 / (l2Norm(g) + 1e-10)
  for (let j = 0; j < g.length; j++) out[j] = g[j] * scale
}

export const L2_BALL: Constraint = {
  name: 'l2',
  direction: l2Direction,
  project(delta, eps) {
    const factor = Math.min(1, eps / (l2Norm(delta) + 1e-12))
    if (factor < 1) for (let j = 0; j < delta.length; j++) delta[j] *= factor
  },
  randomStart(center, rng, eps, out) {
    const noise = rng.gaussianArray(center.length)
    const scale = eps / (l2Norm(noise) + 1e-12)
    for (let j = 0; j < center.length; j++) out[j] = clamp01(center[j] + scale * noise[j])
  }
}

export const LINF_BOX: Constraint = {
  name: 'linf',
  direction(g, out) {
    for (let j = 0; j < g.length; j++) out[j] = Math.sign(g[j])
  },
  project(delta, eps) {
    for (let j = 0; j < delta.length; j++) delta[j] = Math.min(eps, Math.max(-eps, delta[j]))
  },
  randomStart(center, rng, eps, out) {
    for (let j = 0; j < center.length; j++) out[j] = clamp01(center[j] + eps * (2 * rng.uniform() - 1))
  }
}

export const UNCONSTRAINED: Constraint = {
  name: 'unconstrained',
  direction: l2Direction,
  project() {},
  randomStart() {
    throw new Error('a random start needs a bounded threat model (L2 or L∞)')
  }
}

export function constraintFor(threat: 'l2' | 'linf'): Constraint {
  return threat === 'l2' ? L2_BALL : LINF_BOX
}
