import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CancelledError, type Engine, type EngineJob } from '../../../src/main/engine/api'
import { combinePartials, createEngine, finishSmoothGrad, writeRandomModel } from '../../../src/main/engine/index'
import { randomStart } from '../../../src/main/engine/attacks/pgd'
import type { AttackParams, MethodParams, ResultFor } from '../../../src/shared/jobs'
import { AttackParamsSchema } from '../../../src/shared/jobs'
import { numTensors, randomImages, relativeError, signal, tempDir } from './helpers'

const tmp = tempDir()
let engine: Engine
const images = randomImages(2, 32, 21)

beforeAll(async () => {
  await writeRandomModel(tmp.dir, { id: 'm', width: 4, seed: 7 })
  engine = await createEngine({ modelsDir: tmp.dir, backends: ['wasm'] })
  await engine.run({ modelId: 'm', images, params: { method: 'predict' } }, { signal: signal(), onProgress: () => {} })
})
afterAll(() => {
  engine.dispose()
  tmp.remove()
})

/** Runs a job and asserts that no tensor is left behind. */
async function run<M extends MethodParams['method']>(params: Extract<MethodParams, { method: M }>, batch = images, ctx?: Partial<Parameters<Engine['run']>[1]>): Promise<ResultFor<M>> {
  const before = numTensors()
  const { result } = await engine.run({ modelId: 'm', images: batch, params } as EngineJob, { signal: signal(), onProgress: () => {}, ...ctx })
  expect(numTensors(), 'tensors leaked').toBe(before)
  expect(result.method).toBe(params.method)
  return result as ResultFor<M>
}

const attack = (p: Partial<AttackParams>): AttackParams =>
  AttackParamsSchema.parse({
    method: 'attack',
    threat: 'l2',
    eps: 0.5,
    stepSize: 0.2,
    steps: 6,
    targeted: false,
    targetClass: null,
    trueClass: null,
    randomStart: false,
    restarts: 0,
    useBest: false,
    keepIterates: 7,
    seed: 1,
    ...p
  })

function norms(delta: Float32Array, n: number): { l2: number[]; linf: number[] } {
  const per = delta.length / n
  const l2: number[] = []
  const linf: number[] = []
  for (let i = 0; i < n; i++) {
    let s = 0
    let m = 0
    for (let j = 0; j < per; j++) {
      const v = delta[i * per + j]
      s += v * v
      m = Math.max(m, Math.abs(v))
    }
    l2.push(Math.sqrt(s))
    linf.push(m)
  }
  return { l2, linf }
}

describe('saliency', () => {
  it('loss and score gradients differ, class null = top-1, explicit class honoured', async () => {
    const loss = await run({ method: 'saliency', gradient: 'loss', classIndex: null, smoothing: { kind: 'none' }, seed: 0 })
    const score = await run({ method: 'saliency', gradient: 'score', classIndex: null, smoothing: { kind: 'none' }, seed: 0 })
    const fixed = await run({ method: 'saliency', gradient: 'score', classIndex: 3, smoothing: { kind: 'none' }, seed: 0 })
    const p = loss.predictions.probabilities
    const argmax = (i: number): number => Array.from(p.subarray(i * 10, i * 10 + 10)).reduce((b, v, c, a) => (v > a[b] ? c : b), 0)
    expect(loss.classIndex).toEqual([argmax(0), argmax(1)])
    expect(fixed.classIndex).toEqual([3, 3])
    expect(loss.maps.length).toBe(images.data.length)
    expect(relativeError(loss.maps, score.maps)).toBeGreaterThan(0.1)
    expect(loss.sigmaAbsolute).toEqual([0, 0])
  })

  it('SmoothGrad with σ = 0 equals the plain gradient; the same seed gives the same map', async () => {
    const plain = await run({ method: 'saliency', gradient: 'score', classIndex: 1, smoothing: { kind: 'none' }, seed: 0 })
    const sg0 = await run({ method: 'saliency', gradient: 'score', classIndex: 1, smoothing: { kind: 'smoothgrad', samples: 3, sigma: 0, clipNoisy: false }, seed: 0 })
    expect(relativeError(sg0.maps, plain.maps)).toBeLessThan(1e-5)
    const a = await run({ method: 'saliency', gradient: 'loss', classIndex: 1, smoothing: { kind: 'smoothgrad', samples: 5, sigma: 0.2, clipNoisy: false }, seed: 9 })
    const b = await run({ method: 'saliency', gradient: 'loss', classIndex: 1, smoothing: { kind: 'smoothgrad', samples: 5, sigma: 0.2, clipNoisy: false }, seed: 9 })
    const c = await run({ method: 'saliency', gradient: 'loss', classIndex: 1, smoothing: { kind: 'smoothgrad', samples: 5, sigma: 0.2, clipNoisy: false }, seed: 10 })
    expect(Array.from(a.maps)).toEqual(Array.from(b.maps))
    expect(relativeError(a.maps, c.maps)).toBeGreaterThan(1e-3)
    expect(a.sigmaAbsolute[0]).toBeCloseTo(0.2 * (Math.max(...images.data.subarray(0, 3072)) - Math.min(...images.data.subarray(0, 3072))), 6)
    expect(a.outOfRangeFraction).toBeGreaterThan(0)
  })

  it('VarGrad = SG² − SG², all three from one set of samples; SG² ≥ 0', async () => {
    const smoothing = (kind: 'smoothgrad' | 'smoothgrad2' | 'vargrad') => ({ kind, samples: 4, sigma: 0.1, clipNoisy: true })
    const sg = await run({ method: 'saliency', gradient: 'loss', classIndex: 2, smoothing: smoothing('smoothgrad'), seed: 3 })
    const sg2 = await run({ method: 'saliency', gradient: 'loss', classIndex: 2, smoothing: smoothing('smoothgrad2'), seed: 3 })
    const vg = await run({ method: 'saliency', gradient: 'loss', classIndex: 2, smoothing: smoothing('vargrad'), seed: 3 })
    const expected = sg2.maps.map((v, j) => Math.max(0, v - sg.maps[j] * sg.maps[j]))
    expect(relativeError(vg.maps, expected)).toBeLessThan(1e-4)
    expect(Math.min(...sg2.maps)).toBeGreaterThanOrEqual(0)
    expect(Math.max(...vg.maps)).toBeGreaterThan(0)
  })

  it('partial sums over sample sub-ranges combine to the full SmoothGrad', async () => {
    const params = { method: 'saliency' as const, gradient: 'loss' as const, classIndex: 0, smoothing: { kind: 'smoothgrad' as const, samples: 7, sigma: 0.15, clipNoisy: false }, seed: 5 }
    const full = await run(params)
    const before = numTensors()
    const job = { modelId: 'm', images, params }
    const ctx = { signal: signal(), onProgress: () => {} }
    const parts = await Promise.all([engine.saliencyPartial!(job, { start: 0, end: 3 }, ctx), engine.saliencyPartial!(job, { start: 3, end: 7 }, ctx)])
    expect(numTensors()).toBe(before)
    const combined = finishSmoothGrad(combinePartials(parts.map((p) => p.partial)), 'smoothgrad')
    expect(relativeError(combined.maps, full.maps)).toBeLessThan(1e-6)
    expect(combined.outOfRangeFraction).toBeCloseTo(full.outOfRangeFraction, 10)
  })
})

describe('PGD', () => {
  for (const threat of ['l2', 'linf'] as const) {
    it(`${threat}: every iterate stays in the ε-ball and in [0,1]`, async () => {
      const eps = threat === 'l2' ? 0.5 : 0.03
      const r = await run(attack({ threat, eps, stepSize: threat === 'l2' ? 0.3 : 0.01, steps: 6, randomStart: true, keepIterates: 7 }))
      expect(r.iterates.map((i) => i.step)).toEqual([0, 1, 2, 3, 4, 5, 6])
      for (const it of [...r.iterates.map((i) => i.images), r.adversarial]) {
        const delta = it.map((v, j) => v - images.data[j])
        const { l2, linf } = norms(delta, 2)
        for (const v of threat === 'l2' ? l2 : linf) expect(v).toBeLessThanOrEqual(eps * (1 + 1e-5))
        expect(Math.min(...it)).toBeGreaterThanOrEqual(0)
        expect(Math.max(...it)).toBeLessThanOrEqual(1)
      }
      expect(Math.max(...r.telemetry.at(-1)!.deltaL2)).toBeGreaterThan(0)
    })
  }

  it('a targeted attack descends CE toward the target', async () => {
    const r = await run(attack({ targeted: true, targetClass: 4, eps: 2, stepSize: 0.2, steps: 10 }))
    const first = r.telemetry[0]
    const last = r.telemetry.at(-1)!
    for (let i = 0; i < 2; i++) {
      expect(last.loss[i]).toBeLessThan(first.loss[i])
      expect(last.pTarget[i]).toBeGreaterThan(first.pTarget[i])
    }
    expect(r.targetClass).toBe(4)
    expect(r.telemetry.length).toBe(11)
    expect(last.top5[0].length).toBe(5)
  })

  it('an untargeted attack ascends CE of the true class and records the flip step', async () => {
    const r = await run(attack({ eps: 5, stepSize: 0.5, steps: 10 }))
    expect(r.telemetry.at(-1)!.loss[0]).toBeGreaterThan(r.telemetry[0].loss[0])
    for (let i = 0; i < 2; i++) {
      const after = Array.from(r.after.probabilities.subarray(i * 10, i * 10 + 10))
      const top = after.indexOf(Math.max(...after))
      if (top !== r.trueClass[i]) expect(r.flippedAt[i]).not.toBeNull()
    }
    expect(r.flippedAt.some((f) => f !== null)).toBe(true)
  })

  it('random start lands on the L2 sphere (before clamping) and inside the L∞ box', () => {
    const center = new Float32Array(2 * 3072).fill(0.5)
    const l2 = randomStart(center, [2, 32, 32, 3], 'l2', [0.7, 0.3], 4)
    const { l2: n2 } = norms(l2.map((v, j) => v - center[j]), 2)
    expect(n2[0]).toBeCloseTo(0.7, 4)
    expect(n2[1]).toBeCloseTo(0.3, 4)
    const box = randomStart(center, [2, 32, 32, 3], 'linf', [0.05, 0.05], 4)
    const { linf } = norms(box.map((v, j) => v - center[j]), 2)
    expect(Math.max(...linf)).toBeLessThanOrEqual(0.05 + 1e-6)
    expect(Math.max(...linf)).toBeGreaterThan(0.045)
  })

  it('the same seed gives the same result; another seed another one (random start)', async () => {
    const a = await run(attack({ randomStart: true, seed: 11 }))
    const b = await run(attack({ randomStart: true, seed: 11 }))
    const c = await run(attack({ randomStart: true, seed: 12 }))
    expect(Array.from(a.adversarial)).toEqual(Array.from(b.adversarial))
    expect(relativeError(a.perturbation, c.perturbation)).toBeGreaterThan(1e-3)
  })

  it('useBest returns the iterate with the highest loss for the attacker', async () => {
    // a huge step makes the loss oscillate, so the last iterate is often not the best
    const r = await run(attack({ useBest: true, eps: 3, stepSize: 3, steps: 8, keepIterates: 9 }))
    for (let i = 0; i < 2; i++) {
      const losses = r.telemetry.map((t) => t.loss[i])
      const best = losses.indexOf(Math.max(...losses))
      const per = 3072
      const expected = r.iterates[best].images.subarray(i * per, (i + 1) * per)
      expect(Array.from(r.adversarial.subarray(i * per, (i + 1) * per))).toEqual(Array.from(expected))
    }
  })

  it('restarts keep the original result where no run succeeds and run more than once', async () => {
    let steps = 0
    await run(attack({ eps: 0.0001, stepSize: 0.0001, steps: 2, restarts: 2, keepIterates: 0 }), images, {
      onProgress: (p) => {
        steps = p.step
      }
    })
    expect(steps).toBe(9) // 3 runs × (2 steps + the final iterate)
  })

  it('is cancellable between steps (CancelledError) without leaking', async () => {
    const controller = new AbortController()
    const before = numTensors()
    const job = engine.run(
      { modelId: 'm', images, params: attack({ steps: 50 }) },
      {
        signal: controller.signal,
        onProgress: (p) => {
          if (p.step === 3) controller.abort()
        }
      }
    )
    await expect(job).rejects.toBeInstanceOf(CancelledError)
    expect(numTensors()).toBe(before)
  })
})

describe('cancellation and progress', () => {
  const cancellable: MethodParams[] = [
    { method: 'saliency', gradient: 'loss', classIndex: null, smoothing: { kind: 'smoothgrad', samples: 200, sigma: 0.1, clipNoisy: false }, seed: 1 },
    { method: 'featureViz', feature: 0, fakeRelu: false, start: 'gray', noiseSigma: 0, eps: 1000, stepSize: 1, steps: 200, keepIterates: 0, seed: 1 },
    { method: 'evaluate', labels: [0, 1], threat: 'l2', epsList: [0.5, 1], steps: 100, stepFactor: 2.5, randomStart: false, minimalEps: true, seed: 1 },
    { method: 'activations', features: [] }
  ]
  for (const params of cancellable) {
    it(`${params.method}: an aborted signal stops the job with CancelledError, progress counts up to a fixed total`, async () => {
      const controller = new AbortController()
      const before = numTensors()
      const seen: { step: number; totalSteps: number; etaMs: number | null }[] = []
      const batch = params.method === 'activations' ? randomImages(70, 32, 2) : images
      const job = engine.run(
        { modelId: 'm', images: batch, params },
        {
          signal: controller.signal,
          onProgress: (p) => {
            seen.push(p)
            if (seen.length === 2) controller.abort()
          }
        }
      )
      await expect(job).rejects.toBeInstanceOf(CancelledError)
      expect(numTensors()).toBe(before)
      expect(seen.length).toBe(2)
      expect(seen[1].step).toBeGreaterThan(seen[0].step)
      expect(seen[1].totalSteps).toBeGreaterThan(seen[1].step)
      expect(seen[1].etaMs).toBeGreaterThan(0)
    })
  }
})

describe('feature visualization', () => {
  it('ascends the chosen representation coordinate from gray, noise and image starts', async () => {
    for (const start of ['gray', 'noise', 'image'] as const) {
      const r = await run({ method: 'featureViz', feature: 3, fakeRelu: true, start, noiseSigma: 0.05, eps: 1000, stepSize: 1, steps: 8, keepIterates: 2, seed: 2 })
      for (let i = 0; i < 2; i++) expect(r.activationEnd[i]).toBeGreaterThan(r.activationStart[i])
      expect(r.iterates.map((x) => x.step)).toEqual([4, 8])
      expect(r.telemetry[0].activation).toEqual(r.activationStart)
      if (start === 'gray') expect(Array.from(r.iterates[0].images.subarray(0, 3))).not.toEqual([0.5, 0.5, 0.5])
    }
  })
})

describe('activations and evaluate', () => {
  it('activations are the forward representation, for chosen coordinates or all', async () => {
    const some = await run({ method: 'activations', features: [5, 0, 31] })
    const all = await run({ method: 'activations', features: [] })
    expect(all.features.length).toBe(32)
    const features = all.values
    for (let i = 0; i < 2; i++) expect([features[i * 32 + 5], features[i * 32 + 0], features[i * 32 + 31]]).toEqual(Array.from(some.values.subarray(i * 3, i * 3 + 3)))
    expect(Math.max(...all.values)).toBeGreaterThan(0)
  })

  it('accuracy under attack: clean at ε = 0, drops to 0 at a large ε; minimal flipping ε lies within the list range', async () => {
    const batch = randomImages(3, 32, 33)
    const pred = await run({ method: 'predict' }, batch)
    const p = pred.predictions.probabilities
    const labels = [0, 1, 2].map((i) => Array.from(p.subarray(i * 10, i * 10 + 10)).reduce((b, v, c, a) => (v > a[b] ? c : b), 0))
    const r = await run({ method: 'evaluate', labels, threat: 'l2', epsList: [0, 0.01, 8], steps: 5, stepFactor: 2.5, randomStart: false, minimalEps: true, seed: 1 }, batch)
    expect(r.accuracy[0]).toBe(1)
    expect(r.accuracy[2]).toBe(0)
    expect(r.correct.length).toBe(9)
    for (const m of r.minimalEps!) {
      expect(m).not.toBeNull()
      expect(m!).toBeGreaterThan(0)
      expect(m!).toBeLessThanOrEqual(8)
    }
    expect(r.meanTrueProb[2]).toBeLessThan(r.meanTrueProb[0])
  })
})

