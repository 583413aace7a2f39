/**
 * `npm run bench -- --pgd-parity DIR [--limit N]`: the same PGD-20 on the first N (default 500) images of a labelled
 * set (the CIFAR-10 test split as PNG class folders, training/png_split.py) with every model, on ONNX Runtime and on
 * the TF.js wasm path, per image: the top-1 after the attack, whether it flipped, and the robust accuracy against the
 * labels. Untargeted L2 ε = 0.5 (the robust models' training ε), step 2.5·ε/20, no random start, against each image's
 * clean prediction — the attack view's defaults, so both backends follow the same trajectory up to float rounding.
 */
import { createEngine } from '../engine/index'
import type { BackendName } from '../engine/api'
import type { ModelInfo } from '../../shared/model-format'
import { AttackParamsSchema, type AttackResult } from '../../shared/jobs'
import { openLabelledSet } from './dataset'
import { decodeImage, fitToModel, toRgbFloat } from './images'

const BACKENDS: BackendName[] = ['onnxruntime', 'wasm']

function argmaxRows(probabilities: Float32Array, classes: number): number[] {
  const out: number[] = []
  for (let r = 0; r < probabilities.length / classes; r++) {
    let best = 0
    for (let c = 1; c < classes; c++) if (probabilities[r * classes + c] > probabilities[r * classes + best]) best = c
    out.push(best)
  }
  return out
}

export async function pgdParity(modelsDir: string, models: ModelInfo[], data: string, limit: number): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = { data, eps: 0.5, threat: 'l2', steps: 20, backends: BACKENDS, models: {} as Record<string, unknown> }
  for (const info of models) {
    const { height, width } = info.input
    const files = await openLabelledSet(data, info.classes, limit)
    const per = height * width * 3
    const pixels = new Float32Array(files.length * per)
    const labels: number[] = []
    for (const [i, f] of files.entries()) {
      pixels.set(fitToModel(toRgbFloat(decodeImage(await f.read(), `${data}:${f.name}`)), width, height).data, i * per)
      labels.push(f.label)
    }
    const params = AttackParamsSchema.parse({ method: 'attack', threat: 'l2', eps: 0.5, stepSize: (2.5 * 0.5) / 20, steps: 20, targeted: false, targetClass: null, trueClass: null, randomStart: false, restarts: 0, useBest: false, keepIterates: 0, seed: 0 })
    const outcome: Record<string, { after: number[]; flipped: boolean[]; ms: number }> = {}
    for (const backend of BACKENDS) {
      const engine = await createEngine({ modelsDir, backends: [backend] })
      const started = performance.now()
      const after: number[] = []
      const flipped: boolean[] = []
      try {
        for (let start = 0; start < files.length; start += 100) {
          const n = Math.min(100, files.length - start)
          const { result } = await engine.run(
            { modelId: info.id, images: { data: pixels.slice(start * per, (start + n) * per), shape: [n, height, width, 3] }, params },
            { signal: new AbortController().signal, onProgress: () => {} }
          )
          const r = result as AttackResult
          after.push(...argmaxRows(r.after.probabilities, info.classes.length))
          flipped.push(...r.flippedAt.map((f) => f !== null))
        }
      } finally {
        engine.dispose()
      }
      outcome[backend] = { after, flipped, ms: Math.round(performance.now() - started) }
    }
    const [a, b] = BACKENDS.map((k) => outcome[k])
    const differ = labels.map((_, i) => i).filter((i) => a.after[i] !== b.after[i] || a.flipped[i] !== b.flipped[i])
    const accuracy = (o: { after: number[] }) => o.after.filter((c, i) => c === labels[i]).length / labels.length
    ;(out.models as Record<string, unknown>)[info.id] = {
      images: files.length,
      robustAccuracy: Object.fromEntries(BACKENDS.map((k) => [k, accuracy(outcome[k])])),
      flipped: Object.fromEntries(BACKENDS.map((k) => [k, outcome[k].flipped.filter(Boolean).length])),
      imagesWithAnotherOutcome: differ.length,
      differingImages: differ.slice(0, 20).map((i) => files[i].name),
      sameOutcome: differ.length === 0,
      ms: Object.fromEntries(BACKENDS.map((k) => [k, outcome[k].ms]))
    }
  }
  return out
}
