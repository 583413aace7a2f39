/**
 * The start-up self-check every backend passes before the engine uses it: a tiny CIFAR ResNet-18 (width 2, 8×8 input,
 * seeded random weights built in memory by models/random.ts) at batch 2, its forward and the input gradient of each
 * objective kind (cross-entropy, logit, feature, feature with fake-ReLU), against known values (self-check-values.json:
 * TF.js cpu, unfused reference network with plain tf.grad; test/main/engine/self-check.test.ts regenerates them with
 * UPDATE_SELF_CHECK=1 and fails when they drift). Catches a backend whose kernels or graph compute wrong numbers
 * (a broken native binding, a bad wasm build) before a user sees a wrong map. Costs 0.1–0.3 s of CPU per engine start
 * on TF.js wasm, 0.05–0.2 s on cpu (measured on the 2-core dev machine; per-op overhead of five passes, the first slowest).
 */
import type { BatchObjective, ClassifierFactory, DifferentiableClassifier, ModelWeights } from '../classifier'
import { randomModelWeights } from '../models/random'
import { Rng } from '../rng'
import KNOWN from './self-check-values.json' with { type: 'json' }

export const SELF_CHECK_BATCH = 2
const SIZE = 8

export function selfCheckModel(): ModelWeights {
  const { spec, weights } = randomModelWeights({ id: 'self-check', architecture: 'resnet18-cifar', width: 2, inputSize: SIZE, seed: 1234 })
  return { spec, weights }
}

export function selfCheckPixels(): Float32Array {
  return new Rng(4321).uniformArray(SELF_CHECK_BATCH * SIZE * SIZE * 3, 0.02, 0.98)
}

export const SELF_CHECK_OBJECTIVES: BatchObjective[] = [
  { kind: 'crossEntropy', indices: [3, 7] },
  { kind: 'logit', indices: [1, 4] },
  { kind: 'feature', indices: [5, 2] },
  // units 4 and 1 are dead (0 after the last ReLU) for images 0 and 1: only fake-ReLU gives them a gradient
  { kind: 'feature', indices: [4, 1], fakeRelu: true }
]

export interface SelfCheckValues {
  logits: number[]
  features: number[]
  gradients: { values: number[]; grad: number[] }[]
}

/** The self-check's outputs on `classifier` (built from selfCheckModel()). */
export async function selfCheckOutputs(classifier: DifferentiableClassifier): Promise<SelfCheckValues> {
  const pixels = selfCheckPixels()
  const forward = await classifier.forward(pixels, SELF_CHECK_BATCH)
  const gradients: SelfCheckValues['gradients'] = []
  for (const objective of SELF_CHECK_OBJECTIVES) {
    const g = await classifier.gradient(pixels, SELF_CHECK_BATCH, objective)
    gradients.push({ values: Array.from(g.values), grad: Array.from(g.grad) })
  }
  return { logits: Array.from(forward.logits), features: Array.from(forward.features), gradients }
}

/** max |a − b| / max |b| (or the max difference when b is all zero), and the cosine of a and b (0 when one is zero). */
export function agreement(a: ArrayLike<number>, b: ArrayLike<number>): { relative: number; cosine: number } {
  let diff = 0
  let scale = 0
  let dot = 0
  let na = 0
  let nb = 0
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]))
    scale = Math.max(scale, Math.abs(b[i]))
    dot += a[i] * b[i]
    na += a[i] * a[i]
    nb += b[i] * b[i]
  }
  const cosine = na === 0 && nb === 0 ? 1 : na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb)
  return { relative: scale === 0 ? diff : diff / scale, cosine }
}

/** Tolerances of the check (issue 12's parity bar: logits 1e-4 relative, gradients cosine ≥ 0.9999). */
export const SELF_CHECK_TOLERANCE = { relative: 1e-4, gradientRelative: 1e-3, gradientCosine: 0.9999 }

/** The problems of `actual` against the known values; empty when the backend computes the right numbers. */
export function selfCheckProblems(actual: SelfCheckValues, known: SelfCheckValues = KNOWN): string[] {
  const problems: string[] = []
  const fmt = (v: number): string => v.toPrecision(3)
  const close = (what: string, a: number[], b: number[]): void => {
    if (a.length !== b.length) return void problems.push(`${what}: ${a.length} values, expected ${b.length}`)
    if (!a.every(Number.isFinite)) return void problems.push(`${what}: not finite`)
    const { relative } = agreement(a, b)
    if (!(relative <= SELF_CHECK_TOLERANCE.relative)) problems.push(`${what} off by ${fmt(relative)} (relative)`)
  }
  close('logits', actual.logits, known.logits)
  close('features', actual.features, known.features)
  SELF_CHECK_OBJECTIVES.forEach((objective, i) => {
    const name = `${objective.kind}${objective.fakeRelu ? ' (fake ReLU)' : ''}`
    const a = actual.gradients[i]
    const b = known.gradients[i]
    if (!a) return void problems.push(`${name}: no gradient`)
    close(`${name} values`, a.values, b.values)
    if (a.grad.length !== b.grad.length) return void problems.push(`${name} gradient: ${a.grad.length} values, expected ${b.grad.length}`)
    const { relative, cosine } = agreement(a.grad, b.grad)
    if (!(cosine >= SELF_CHECK_TOLERANCE.gradientCosine && relative <= SELF_CHECK_TOLERANCE.gradientRelative)) {
      problems.push(`${name} gradient off (cosine ${cosine.toFixed(6)}, relative ${fmt(relative)})`)
    }
  })
  return problems
}

/** Throws with what is wrong unless `factory`'s classifier reproduces the known values. */
export async function runSelfCheck(factory: ClassifierFactory): Promise<void> {
  const classifier = await factory.create(selfCheckModel(), { maxBatch: SELF_CHECK_BATCH, warmUp: false })
  try {
    const problems = selfCheckProblems(await selfCheckOutputs(classifier))
    if (problems.length) throw new Error(problems.slice(0, 3).join('; ') + (problems.length > 3 ? `; and ${problems.length - 3} more` : ''))
  } finally {
    classifier.dispose()
  }
}
