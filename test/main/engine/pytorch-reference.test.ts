/**
 * The engine against an independent PyTorch reference (training/reference.py: the network rebuilt in plain torch.nn
 * from docs/model-format.md, the methods from science.md), on random-weight models of every layout — the CIFAR
 * ResNet-18 and the ImageNet-layout ResNet-18 / ResNet-50 — at small widths and inputs:
 * logits and input gradients (loss and class score), SmoothGrad / VarGrad with the same noise samples on both sides,
 * PGD L2 and L∞ from a fixed start (every iterate), and feature visualization with fake ReLU on and off.
 * Only the public engine API is used (createEngine, engine.run, writeRandomModel).
 *
 * Runs wherever $PYTHON (default /usr/bin/python3) has PyTorch, as the training tests do; skipped otherwise.
 * Tolerances are a few times the differences measured here (float32 on both sides, different summation orders);
 * the numbers are in each test's comment.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Engine } from '../../../src/main/engine/api'
import { createEngine, writeRandomModel } from '../../../src/main/engine/index'
import type { MethodParams, ResultFor } from '../../../src/shared/jobs'
import type { ModelSpec } from '../../../src/shared/model-format'
import { missingPython, referenceDir, runReference, writeFloat32, type ReferenceJob } from '../pytorch'
import { numTensors, randomImages, relativeError, signal } from './helpers'

const missing = missingPython('torch, numpy')

interface Case {
  id: string
  architecture: ModelSpec['architecture']['name']
  width: number
  size: number
  seed: number
  /** Multiplies fc.weight: the random ResNet-50's logits span ~400, a saturated softmax (p = 0 or 1) would hide errors. */
  fcScale?: number
}
const MODELS: Case[] = [
  { id: 'cifar-w4', architecture: 'resnet18-cifar', width: 4, size: 32, seed: 11 },
  { id: 'resnet18-w8', architecture: 'resnet18', width: 8, size: 64, seed: 12 },
  { id: 'resnet50-w4', architecture: 'resnet50', width: 4, size: 64, seed: 13, fcScale: 1 / 64 }
]
const imagesOf = (c: Case) => randomImages(2, c.size, c.seed + 100)
const CLASS = 3

/** Tolerances: measured maxima (wasm engine vs PyTorch 1.13 CPU, this machine) in the comments, about 5-10× above. */
const TOL = {
  logits: 5e-6, // centred logits, max |Δ| / max |centred logit| per row: measured ≤ 5.3e-7
  probabilities: 2e-6, // absolute: measured ≤ 2.7e-7
  features: 3e-6, // representation, max |Δ| / max |r|: measured ≤ 3.2e-7
  gradient: 5e-6, // input gradients, max |Δ| / max |g|: measured ≤ 8.7e-7 (ResNet-50)
  smoothgrad: 5e-6, // SG / SG² / VarGrad maps, relative as above: measured ≤ 1.0e-6 (VarGrad)
  iterate: 2e-6, // PGD and feature-viz iterates, absolute pixel values: measured ≤ 3.6e-7 (L∞: bit-identical)
  loss: 5e-6, // CE per iterate, relative: measured ≤ 8.8e-7
  activation: 8e-6 // r_k per iterate, relative: measured ≤ 1.6e-6 (ResNet-18, a unit dead on one image)
}

/** Rewrites fc.weight of a random model in place (the model is written without weightsSha256). */
function scaleFc(dir: string, factor: number): void {
  const spec = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as ModelSpec
  const bytes = readFileSync(join(dir, 'weights.bin'))
  const values = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4)
  let offset = 0
  for (const w of spec.weightsManifest[0].weights) {
    const count = w.shape.reduce((a, b) => a * b, 1)
    if (w.name === 'fc.weight') for (let i = offset; i < offset + count; i++) values[i] *= factor
    offset += count
  }
  writeFileSync(join(dir, 'weights.bin'), bytes)
}

const SMOOTHGRAD = [
  { name: 'sg-score', model: 'resnet18-w8', kind: 'smoothgrad', gradient: 'score', sigma: 0.25, samples: 4, seed: 5, clipNoisy: false },
  { name: 'vargrad-loss-clip', model: 'resnet50-w4', kind: 'vargrad', gradient: 'loss', sigma: 0.3, samples: 3, seed: 9, clipNoisy: true },
  { name: 'sg2-loss', model: 'cifar-w4', kind: 'smoothgrad2', gradient: 'loss', sigma: 0.15, samples: 5, seed: 2, clipNoisy: false }
] as const

const PGD = [
  { name: 'pgd-l2-untargeted', model: 'cifar-w4', threat: 'l2', eps: 0.5, stepSize: 0.2, steps: 5, targeted: false, targetClass: null, trueClass: CLASS },
  { name: 'pgd-linf-targeted', model: 'resnet18-w8', threat: 'linf', eps: 4 / 255, stepSize: 1 / 255, steps: 5, targeted: true, targetClass: 1, trueClass: CLASS },
  { name: 'pgd-l2-targeted-r50', model: 'resnet50-w4', threat: 'l2', eps: 1, stepSize: 0.4, steps: 4, targeted: true, targetClass: 7, trueClass: CLASS }
] as const

const FEATUREVIZ = [
  // the same run with fake ReLU on and off (the test checks that the two differ far beyond the tolerance); feature 19
  // has negative pre-ReLU values in the last block, feature 48 of the ResNet-18 is dead (r = 0) on the second image
  { name: 'fv-fake-relu', model: 'cifar-w4', feature: 19, fakeRelu: true, eps: 2, stepSize: 1, steps: 3 },
  { name: 'fv-real-relu', model: 'cifar-w4', feature: 19, fakeRelu: false, eps: 2, stepSize: 1, steps: 3 },
  { name: 'fv-fake-relu-r18', model: 'resnet18-w8', feature: 48, fakeRelu: true, eps: 1000, stepSize: 2, steps: 3 }
] as const

/** max |a − b| over all values and max |b| (for relative numbers in messages). */
function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length)
  let d = 0
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]))
  return d
}

/** Softmax ignores a per-row shift of the logits (and nothing in the app sees one): compare logits centred per row. */
function centredLogErrors(probabilities: Float32Array, logits: number[], classes: number): number {
  let worst = 0
  for (let i = 0; i < probabilities.length / classes; i++) {
    const lp = Array.from(probabilities.subarray(i * classes, (i + 1) * classes), Math.log)
    const ref = logits.slice(i * classes, (i + 1) * classes)
    const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length
    const [ml, mr] = [mean(lp), mean(ref)]
    const scale = Math.max(...ref.map((v) => Math.abs(v - mr)))
    for (let c = 0; c < classes; c++) worst = Math.max(worst, Math.abs(lp[c] - ml - (ref[c] - mr)) / scale)
  }
  return worst
}

describe.skipIf(missing !== null)(`engine vs an independent PyTorch reference${missing ? ` (skipped: ${missing})` : ''}`, () => {
  const scratch = referenceDir()
  let engine: Engine
  let reference: Record<string, Record<string, unknown>>
  const cases = new Map(MODELS.map((c) => [c.id, c]))
  const measured: Record<string, number> = {}
  /** Records the measured difference (printed at the end) and checks it against its tolerance. */
  const check = (what: string, value: number, tolerance: number) => {
    measured[what] = Math.max(measured[what] ?? 0, value)
    expect(value, what).toBeLessThanOrEqual(tolerance)
  }

  beforeAll(async () => {
    const jobs: ReferenceJob[] = []
    for (const c of MODELS) {
      const { dir } = await writeRandomModel(scratch.dir, { id: c.id, architecture: c.architecture, width: c.width, inputSize: c.size, seed: c.seed, withSha256: !c.fcScale })
      if (c.fcScale) scaleFc(dir, c.fcScale)
      const images = imagesOf(c)
      writeFloat32(join(scratch.dir, `${c.id}.f32`), images.data)
      jobs.push({ name: `grad-${c.id}`, method: 'gradients', model: join(scratch.dir, c.id), images: join(scratch.dir, `${c.id}.f32`), shape: images.shape, classes: [CLASS, CLASS] })
    }
    const common = (model: string) => ({ model: join(scratch.dir, model), images: join(scratch.dir, `${model}.f32`), shape: imagesOf(cases.get(model)!).shape })
    for (const s of SMOOTHGRAD) jobs.push({ ...s, ...common(s.model), method: 'smoothgrad', classIndex: CLASS })
    for (const p of PGD) jobs.push({ ...p, ...common(p.model), method: 'pgd', trueClass: [p.trueClass, p.trueClass] })
    for (const f of FEATUREVIZ) jobs.push({ ...f, ...common(f.model), method: 'featureviz' })
    reference = runReference(jobs, scratch.dir)
    engine = await createEngine({ modelsDir: scratch.dir, backends: ['wasm'] })
  }, 120_000)
  afterAll(() => {
    engine?.dispose()
    scratch.remove()
    console.log('engine vs PyTorch, measured:', JSON.stringify(measured, null, 1))
  })

  async function run<M extends MethodParams['method']>(modelId: string, params: Extract<MethodParams, { method: M }>): Promise<ResultFor<M>> {
    const images = imagesOf(cases.get(modelId)!)
    await engine.run({ modelId, images, params: { method: 'predict' } }, { signal: signal(), onProgress: () => {} }) // load + warm-up
    const before = numTensors()
    const { result } = await engine.run({ modelId, images, params }, { signal: signal(), onProgress: () => {} })
    expect(numTensors(), 'tensors leaked').toBe(before)
    return result as ResultFor<M>
  }

  for (const c of MODELS) {
    it(`${c.architecture} (width ${c.width}, ${c.size} px): logits, loss gradient and class-score gradient`, async () => {
      const ref = reference[`grad-${c.id}`] as { logits: number[]; probabilities: number[]; features: number[]; loss: number[]; score: number[] }
      const features = await run(c.id, { method: 'activations', features: [] })
      check(`${c.id} representation (rel)`, relativeError(features.values, ref.features), TOL.features)
      for (const gradient of ['loss', 'score'] as const) {
        const r = await run(c.id, { method: 'saliency', gradient, classIndex: CLASS, smoothing: { kind: 'none' }, seed: 0 })
        const { probabilities, classes } = r.predictions
        check(`${c.id} logits (centred, rel)`, centredLogErrors(probabilities, ref.logits, classes), TOL.logits)
        check(`${c.id} probabilities (abs)`, maxAbs(probabilities, ref.probabilities), TOL.probabilities)
        check(`${c.id} ${gradient} gradient (rel)`, relativeError(r.maps, ref[gradient]), TOL.gradient)
      }
      // not a saturated softmax: the loss gradient is not just a difference of two class-score gradients at p = 0/1
      expect(Math.max(...ref.probabilities), 'reference softmax saturated').toBeLessThan(0.999)
    })
  }

  for (const s of SMOOTHGRAD) {
    it(`SmoothGrad ${s.kind} of the ${s.gradient} gradient (${s.samples} samples, σ ${s.sigma}${s.clipNoisy ? ', noisy input clipped' : ''}) on ${s.model}, same noise`, async () => {
      const ref = reference[s.name] as Record<string, number[]> & { sigmaAbsolute: number[] }
      const r = await run(s.model, { method: 'saliency', gradient: s.gradient, classIndex: CLASS, smoothing: { kind: s.kind, samples: s.samples, sigma: s.sigma, clipNoisy: s.clipNoisy }, seed: s.seed })
      // σ_abs = σ·(max − min) is computed the same way on both sides (float64 from float32 pixels): equal
      expect(r.sigmaAbsolute).toEqual(ref.sigmaAbsolute)
      check(`${s.name} map (rel)`, relativeError(r.maps, ref[s.kind]), TOL.smoothgrad)
      // the noise matters: the smoothed map is far from the plain gradient of the same kind
      const plain = reference[`grad-${s.model}`][s.gradient] as number[]
      if (s.kind === 'smoothgrad') expect(relativeError(r.maps, plain)).toBeGreaterThan(100 * TOL.smoothgrad)
    })
  }

  for (const p of PGD) {
    it(`PGD ${p.threat} ${p.targeted ? 'targeted' : 'untargeted'}, fixed start, ${p.steps} steps on ${p.model}: every iterate and the loss`, async () => {
      const ref = reference[p.name] as { iterates: number[][]; loss: number[][] }
      const r = await run(p.model, { method: 'attack', threat: p.threat, eps: p.eps, stepSize: p.stepSize, steps: p.steps, targeted: p.targeted, targetClass: p.targetClass, trueClass: p.trueClass, randomStart: false, restarts: 0, useBest: false, keepIterates: p.steps + 1, seed: 0 })
      expect(r.iterates.map((it) => it.step)).toEqual(ref.iterates.map((_, t) => t))
      r.iterates.forEach((it, t) => check(`${p.name} iterate ${t} (abs)`, maxAbs(it.images, ref.iterates[t]), TOL.iterate))
      check(`${p.name} loss (rel)`, Math.max(...r.telemetry.map((s, t) => relativeError(s.loss, ref.loss[t]))), TOL.loss)
      check(`${p.name} adversarial (abs)`, maxAbs(r.adversarial, ref.iterates[p.steps]), TOL.iterate)
      // the attack moved the images and changed the loss in the attacker's direction
      expect(maxAbs(ref.iterates[p.steps], ref.iterates[0])).toBeGreaterThan(1e-3)
      const sign = p.targeted ? -1 : 1
      ref.loss[p.steps].forEach((l, i) => expect(sign * (l - ref.loss[0][i])).toBeGreaterThan(0))
    })
  }

  it('fake ReLU changes the feature-visualization run far beyond the tolerance (so the two tests tell them apart)', () => {
    const [on, off] = ['fv-fake-relu', 'fv-real-relu'].map((n) => reference[n] as { iterates: number[][] })
    expect(maxAbs(on.iterates[1], off.iterates[1])).toBeGreaterThan(1000 * TOL.iterate)
  })

  for (const f of FEATUREVIZ) {
    it(`feature visualization, fake ReLU ${f.fakeRelu ? 'on' : 'off'}, ε ${f.eps}, ${f.steps} steps on ${f.model}: every iterate and r_k`, async () => {
      const ref = reference[f.name] as { iterates: number[][]; activation: number[][] }
      const r = await run(f.model, { method: 'featureViz', feature: f.feature, fakeRelu: f.fakeRelu, start: 'image', noiseSigma: 0, eps: f.eps, stepSize: f.stepSize, steps: f.steps, keepIterates: f.steps + 1, seed: 0 })
      r.iterates.forEach((it, t) => check(`${f.name} iterate ${t} (abs)`, maxAbs(it.images, ref.iterates[t]), TOL.iterate))
      check(`${f.name} activation (rel)`, Math.max(...r.telemetry.map((s, t) => relativeError(s.activation!, ref.activation[t]))), TOL.activation)
      expect(ref.activation[f.steps][0]).toBeGreaterThan(ref.activation[0][0])
    })
  }
})
