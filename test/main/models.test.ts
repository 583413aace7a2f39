/**
 * Every shipped model in resources/models: the format (ModelSpecSchema), the weight files' byte length and sha256,
 * and PyTorch <-> engine cross-checks at the size of the real error (wasm engine):
 * - the logits and probabilities training/export.py recorded in expected.json on deterministic synthetic inputs;
 * - the bundled sample photos (resources/samples) on the very pixels PyTorch read (PIL's decode written as PNG by
 *   training/sample_predictions.py --png-dir, checked against expected.json's pixelsSha256), then the app's own JPEG
 *   decoder (libjpeg-turbo, as wasm) compared with PIL's (libjpeg-turbo): the same pixels, so the same tolerance;
 * - metrics.engine must exist, and the engine re-evaluates the first test images of the model's dataset (CIFAR-10, or
 *   Imagenette center-cropped as in evaluation; PIL-decoded PNGs, training/subset.py) clean and under L2 PGD against
 *   PyTorch on the same pixels, per image.
 * The photo-pixel and dataset checks need $PYTHON (default /usr/bin/python3) with PyTorch and, for the datasets,
 * ../shared/datasets/{cifar10,imagenette}; they are skipped, saying why, where those are absent (CI has both).
 * RL_MODELS_DIR overrides the folder (used to check the test against a throwaway export).
 */
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadImageForModel, readImageFile } from '../../src/main/cli/images'
import { createEngine } from '../../src/main/engine/index'
import type { Engine } from '../../src/main/engine/api'
import type { ImageBatch } from '../../src/shared/images'
import type { MethodParams, ResultFor } from '../../src/shared/jobs'
import { ModelSpecSchema, type ModelSpec } from '../../src/shared/model-format'
import { missingPython, referenceDir, runReference, type ReferenceJob } from './pytorch'

const MODELS_DIR = resolve(process.env.RL_MODELS_DIR ?? join(__dirname, '../../resources/models'))
const BYTES_PER_VALUE = { float32: 4, float16: 2 } as const

interface Expected {
  inputs: { kind: 'synthetic'; count: number; height: number; width: number; solidColors: number[][] }
  weightsSha256: string
  logits: number[][]
  probabilities: number[][]
  top1: number[]
  top1Margin: number[]
  /** PyTorch on the sample photos (training/sample_predictions.py). */
  samples: { id: string; label: string | null; pixelsSha256: string; top1: number; top1Margin: number; probabilities: number[] }[]
}

const SAMPLES_DIR = resolve(__dirname, '../../resources/samples')
const SAMPLE_IDS = (JSON.parse(readFileSync(join(SAMPLES_DIR, 'samples.json'), 'utf8')) as { id: string }[]).map((s) => s.id)
/** The development CIFAR-10 test archive beside the checkout (../shared/datasets/README.md); CI has it. */
const CIFAR_TEST = resolve(__dirname, '../../../shared/datasets/cifar10/cifar10-test.tar.gz')
const CIFAR_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck']
const IMAGENETTE = resolve(__dirname, '../../../shared/datasets/imagenette/imagenette2-160.tar.gz')
const IMAGENETTE_CLASSES_JSON = resolve(__dirname, '../../../shared/datasets/imagenette/classes.json')
/** Class names in label order (sorted wnids, data.read_classes_json); empty where the dataset is absent. */
const IMAGENETTE_CLASSES: string[] = existsSync(IMAGENETTE_CLASSES_JSON)
  ? Object.entries(JSON.parse(readFileSync(IMAGENETTE_CLASSES_JSON, 'utf8')) as Record<string, string>)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([, name]) => name)
  : []
/**
 * The datasets the engine re-evaluates shipped models on (training/subset.py): the first `count` test images, L2 PGD
 * with `steps` steps at `eps` (each dataset's robust training ε; Imagenette's 128 px crops cost 16× CIFAR's pixels).
 */
const SUBSETS = {
  cifar10: { data: CIFAR_TEST, classes: CIFAR_CLASSES, resolution: 32, count: 30, eps: 0.5, steps: 5 },
  imagenette: { data: IMAGENETTE, classes: IMAGENETTE_CLASSES, resolution: 128, count: 20, eps: 1.5, steps: 3 }
} as const
type SubsetDataset = keyof typeof SUBSETS

/**
 * Tolerances, each a few times the largest difference measured on the shipped models (numbers in the comments).
 * Logits: softmax ignores a per-row shift (and nothing the app shows sees one), so logits are compared centred per row,
 * via log p of the engine's probabilities; relative to the row's largest centred logit.
 */
const TOL = {
  logits: 1e-5, // measured ≤ 3.3e-6 (expected.json rounds logits to 6 decimals)
  probabilities: 5e-6, // absolute, measured ≤ 1.4e-6
  samePixelsProbabilities: 5e-6, // photos on PIL's pixels, absolute: measured ≤ 1.2e-6
  // the app's JPEG decoder is libjpeg-turbo's (src/main/cli/images.ts), as PIL's: measured identical on every sample.
  // (jpeg-js, used before, differed at sharp colour edges: mean |Δ| up to 1.71 levels, single values up to 64.)
  decoderMeanLevels: 0,
  decoderMaxLevels: 0,
  meanTrueProb: 2e-5, // CIFAR subset, mean p(true) clean and under PGD, absolute: measured ≤ 1.7e-6 (a step 2.5ε/6 instead of 2.5ε/5: 1.6e-3)
  decoderProbabilities: 5e-6 // the photos through the app's decoders: the same pixels as PIL's, so samePixelsProbabilities (jpeg-js: 0.0105)
}

const missing = missingPython('torch, numpy, PIL')

const ctx = () => ({ signal: new AbortController().signal, onProgress: () => {} })

async function runJob<M extends MethodParams['method']>(engine: Engine, modelId: string, images: ImageBatch, params: Extract<MethodParams, { method: M }>): Promise<ResultFor<M>> {
  const { result } = await engine.run({ modelId, images, params }, ctx())
  if (result.method !== params.method) throw new Error(`expected a ${params.method} result, got ${result.method}`)
  return result as ResultFor<M>
}

/** `cropFraction`: the model card's input.cropFraction, as training/sample_predictions.py crops (1 for test-set PNGs). */
async function loadBatch(paths: string[], width: number, height: number, cropFraction = 1): Promise<ImageBatch> {
  const data = new Float32Array(paths.length * height * width * 3)
  for (const [i, path] of paths.entries()) data.set((await loadImageForModel(path, width, height, cropFraction)).data, i * height * width * 3)
  return { data, shape: [paths.length, height, width, 3] }
}

/** sha256 of the RGB bytes (HWC) of a decoded image, alpha dropped: what sample_predictions.py records. */
async function rgbSha256(path: string): Promise<string> {
  const img = await readImageFile(path)
  const rgb = new Uint8Array(img.width * img.height * 3)
  for (let p = 0; p < img.width * img.height; p++) rgb.set(img.data.subarray(4 * p, 4 * p + 3), 3 * p)
  return createHash('sha256').update(rgb).digest('hex')
}

function centredLogitError(probabilities: Float32Array, logits: number[]): number {
  const lp = Array.from(probabilities, Math.log)
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length
  const [ml, mr] = [mean(lp), mean(logits)]
  const scale = Math.max(...logits.map((v) => Math.abs(v - mr)))
  return Math.max(...logits.map((v, c) => Math.abs(lp[c] - ml - (v - mr)))) / scale
}

const modelFolders = existsSync(MODELS_DIR)
  ? readdirSync(MODELS_DIR).filter((name) => statSync(join(MODELS_DIR, name)).isDirectory()).sort()
  : []

/**
 * Same integer formulas as training/export.py synthetic_inputs(), exact in float32 on both sides:
 * images 0-3 a modular texture, 4-7 solid colors (recorded in expected.json), the last one uniform gray 0.5.
 */
function syntheticInputs(count: number, size: number, solidColors: number[][]): ImageBatch['data'] {
  const data = new Float32Array(count * size * size * 3)
  let i = 0
  for (let k = 0; k < count; k++) {
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        for (let c = 0; c < 3; c++) {
          const texture = (61 * k + (7 + k) * y + (13 + 2 * k) * x + 85 * c + Math.floor((x * y * (k + 3)) / 8)) % 256
          const v = k < 4 ? texture : k < 4 + solidColors.length ? solidColors[k - 4][c] : 127.5
          data[i++] = Math.fround(v / 255)
        }
      }
    }
  }
  return data
}

function readSpec(folder: string): ModelSpec {
  return ModelSpecSchema.parse(JSON.parse(readFileSync(join(MODELS_DIR, folder, 'model.json'), 'utf8')))
}

interface SubsetReference {
  labels: number[]
  /** The PNG class folders' names, in label order. */
  classes: string[]
  models: Record<string, { probabilities: number[]; cleanMargin: number[]; pgdMargin: number[]; cleanTrueProb: number[]; pgdTrueProb: number[] }>
}

/** The spec, or null when model.json is invalid (its own test reports why). */
function specOrNull(folder: string): ModelSpec | null {
  try {
    return readSpec(folder)
  } catch {
    return null
  }
}

/** The subset dataset whose classes (and input size) the model has, if any. */
function subsetDataset(spec: ModelSpec | null): SubsetDataset | null {
  if (!spec) return null
  for (const [name, d] of Object.entries(SUBSETS) as [SubsetDataset, (typeof SUBSETS)[SubsetDataset]][]) {
    if (spec.classes.join() === d.classes.join() && spec.input.height === d.resolution) return name
  }
  return null
}

describe('shipped models', () => {
  const scratch = referenceDir()
  const pngDir = join(scratch.dir, 'samples-png')
  const subsetDir = (dataset: SubsetDataset) => join(scratch.dir, `${dataset}-png`)
  let subsets: Partial<Record<SubsetDataset, SubsetReference>> = {}
  const measured: Record<string, number> = {}
  const note = (what: string, value: number) => (measured[what] = Math.max(measured[what] ?? 0, value))

  beforeAll(() => {
    if (missing) return
    const started = performance.now()
    // PIL's decode of every sample photo as PNG (the pixels PyTorch read for expected.json `samples`), and PyTorch on
    // the first CIFAR-10 test images, decoded by PIL and written as PNG for the engine (one Python process)
    const jobs: ReferenceJob[] = [{ name: 'pngs', method: 'sample-pngs', pngDir }]
    for (const dataset of Object.keys(SUBSETS) as SubsetDataset[]) {
      const { data, resolution, count, eps, steps } = SUBSETS[dataset]
      const models = modelFolders.filter((f) => subsetDataset(specOrNull(f)) === dataset)
      if (existsSync(data) && models.length > 0) {
        jobs.push({ name: dataset, method: 'dataset-subset', dataset, data, resolution, pngDir: join(subsetDir(dataset), 'test'), models: models.map((f) => join(MODELS_DIR, f)), count, eps, steps })
      }
    }
    subsets = runReference<unknown>(jobs, scratch.dir) as Partial<Record<SubsetDataset, SubsetReference>>
    note('python reference seconds', (performance.now() - started) / 1000)
  }, 120_000)
  afterAll(() => {
    scratch.remove()
    console.log('engine vs PyTorch on the shipped models, measured:', JSON.stringify(measured, null, 1))
  })

  it('resources/models holds at least one standard/robust pair', () => {
    const specs = modelFolders.map(readSpec)
    const pairs = new Set(specs.map((s) => s.pair))
    expect(specs.length).toBeGreaterThanOrEqual(2)
    for (const pair of pairs) {
      const roles = specs.filter((s) => s.pair === pair).map((s) => s.role)
      expect(roles).toContain('standard')
      expect(roles).toContain('robust')
    }
  })

  it.skipIf(missing)(`the app's JPEG decoder and PIL's (both libjpeg-turbo) differ by at most ${TOL.decoderMeanLevels} levels on average and ${TOL.decoderMaxLevels} at most on every sample photo${missing ? ` (skipped: ${missing})` : ''}`, async () => {
    for (const id of SAMPLE_IDS) {
      const [app, pil] = await Promise.all([readImageFile(join(SAMPLES_DIR, id)), readImageFile(join(pngDir, `${id}.png`))])
      expect([app.width, app.height], id).toEqual([pil.width, pil.height])
      let worst = 0
      let sum = 0
      for (let j = 0; j < app.data.length; j++) {
        if (j % 4 === 3) continue // alpha
        const d = Math.abs(app.data[j] - pil.data[j])
        worst = Math.max(worst, d)
        sum += d
      }
      const mean = sum / ((app.data.length / 4) * 3)
      note('decoder mean levels', mean)
      note('decoder max levels', worst)
      expect(mean, `${id} mean`).toBeLessThanOrEqual(TOL.decoderMeanLevels)
      expect(worst, `${id} max`).toBeLessThanOrEqual(TOL.decoderMaxLevels)
    }
  })

  for (const folder of modelFolders) {
    describe(folder, () => {
      let engine: Engine
      beforeAll(async () => {
        engine = await createEngine({ modelsDir: MODELS_DIR, backends: ['wasm'] })
      })
      afterAll(() => engine?.dispose())
      const expected = (): Expected => JSON.parse(readFileSync(join(MODELS_DIR, folder, 'expected.json'), 'utf8')) as Expected

      it('model.json parses with ModelSpecSchema, its id is the folder name and metrics are filled', () => {
        const spec = readSpec(folder)
        expect(spec.id).toBe(folder)
        expect(spec.metrics.evaluatedWith).toMatch(/PyTorch evaluate\.py/)
        // evaluate.py's default radii (Python float keys): CIFAR-10's, or the 160 px sets' 128 px radii scaled with the side
        const radii = spec.classes.join() === CIFAR_CLASSES.join() ? [0.25, 0.5, 1] : [0.75, 1.5, 3].map((e) => Math.round((e * spec.input.height * 1e6) / 128) / 1e6)
        expect(Object.keys(spec.metrics.robust.l2 ?? {})).toEqual(radii.map((e) => (Number.isInteger(e) ? e.toFixed(1) : String(e))))
        expect(spec.representation.size).toBe(8 * spec.architecture.width)
        expect(spec.training.threat === 'none').toBe(spec.role === 'standard')
      })

      it('metrics.engine is recorded and agrees with the PyTorch metrics within 0.5 pp at every ε', () => {
        const { metrics } = readSpec(folder)
        expect(metrics.engine, 'metrics.engine is missing: run training/engine_metrics.py (training/ship.sh)').toBeDefined()
        const engineMetrics = metrics.engine!
        expect(Math.abs(engineMetrics.clean - metrics.clean)).toBeLessThanOrEqual(0.005)
        const pytorchRobust = metrics.robust.l2 ?? {}
        expect(Object.keys(engineMetrics.robust.l2 ?? {}).sort()).toEqual(Object.keys(pytorchRobust).sort())
        for (const [eps, acc] of Object.entries(engineMetrics.robust.l2 ?? {})) {
          expect(Math.abs(acc - pytorchRobust[eps]), `ε ${eps}`).toBeLessThanOrEqual(0.005 + 1e-9)
        }
      })

      it('weight files have the byte length the manifest describes and match weightsSha256', () => {
        const spec = readSpec(folder)
        const hash = createHash('sha256')
        let fileBytes = 0
        let manifestBytes = 0
        for (const group of spec.weightsManifest) {
          for (const path of group.paths) {
            const bytes = readFileSync(join(MODELS_DIR, folder, path))
            fileBytes += bytes.length
            hash.update(bytes)
          }
          for (const w of group.weights) manifestBytes += w.shape.reduce((a, b) => a * b, 1) * BYTES_PER_VALUE[w.dtype]
        }
        expect(fileBytes).toBe(manifestBytes)
        expect(hash.digest('hex')).toBe(spec.weightsSha256)
      })

      it(`the engine reproduces the PyTorch logits (centred, within ${TOL.logits} relative) and probabilities (within ${TOL.probabilities}) on synthetic inputs`, async () => {
        const spec = readSpec(folder)
        const e = expected()
        expect(e.weightsSha256).toBe(spec.weightsSha256)
        const { count, height, width, solidColors } = e.inputs
        const images: ImageBatch = { data: syntheticInputs(count, height, solidColors), shape: [count, height, width, 3] }
        const { probabilities, classes } = (await runJob(engine, spec.id, images, { method: 'predict' })).predictions
        expect(classes).toBe(spec.classes.length)
        for (let i = 0; i < count; i++) {
          const row = probabilities.subarray(i * classes, (i + 1) * classes)
          note('synthetic logits (centred, rel)', centredLogitError(row, e.logits[i]))
          expect(centredLogitError(row, e.logits[i]), `image ${i} logits`).toBeLessThanOrEqual(TOL.logits)
          for (let c = 0; c < classes; c++) {
            note('synthetic probabilities (abs)', Math.abs(row[c] - e.probabilities[i][c]))
            expect(Math.abs(row[c] - e.probabilities[i][c]), `image ${i} class ${c}`).toBeLessThanOrEqual(TOL.probabilities)
          }
          // a near-tie could flip legitimately between float orderings; only compare top-1 where the margin is clear
          if (e.top1Margin[i] > 1e-5) expect(Array.from(row).indexOf(Math.max(...row))).toBe(e.top1[i])
        }
      })

      it.skipIf(missing)(`on the very pixels PyTorch read (PIL's decode as PNG, same sha256), the engine reproduces its sample-photo probabilities within ${TOL.samePixelsProbabilities}${missing ? ` (skipped: ${missing})` : ''}`, async () => {
        const spec = readSpec(folder)
        const { samples } = expected()
        expect(samples.map((s) => s.id)).toEqual(SAMPLE_IDS)
        for (const s of samples) expect(await rgbSha256(join(pngDir, `${s.id}.png`)), `${s.id}: PIL here decodes other pixels than at export`).toBe(s.pixelsSha256)
        const images = await loadBatch(samples.map((s) => join(pngDir, `${s.id}.png`)), spec.input.width, spec.input.height, spec.input.cropFraction)
        const { probabilities, classes } = (await runJob(engine, spec.id, images, { method: 'predict' })).predictions
        for (const [i, s] of samples.entries()) {
          for (let c = 0; c < classes; c++) {
            const d = Math.abs(probabilities[i * classes + c] - s.probabilities[c])
            note('photos, same pixels (abs)', d)
            expect(d, `${s.id} class ${c}`).toBeLessThanOrEqual(TOL.samePixelsProbabilities)
          }
        }
      })

      it(`through the app's own decoders, crop and resize, the sample-photo probabilities stay within the decoder tolerance (${TOL.decoderProbabilities}) of PyTorch's`, async () => {
        const spec = readSpec(folder)
        const { samples } = expected()
        expect(samples.length).toBeGreaterThanOrEqual(9)
        const images = await loadBatch(samples.map((s) => join(SAMPLES_DIR, s.id)), spec.input.width, spec.input.height, spec.input.cropFraction)
        const { probabilities, classes } = (await runJob(engine, spec.id, images, { method: 'predict' })).predictions
        for (const [i, s] of samples.entries()) {
          const row = Array.from(probabilities.subarray(i * classes, (i + 1) * classes))
          for (let c = 0; c < classes; c++) {
            note('photos, app decoders (abs)', Math.abs(row[c] - s.probabilities[c]))
            expect(Math.abs(row[c] - s.probabilities[c]), `${s.id} class ${c}`).toBeLessThanOrEqual(TOL.decoderProbabilities)
          }
          if (s.top1Margin > 2 * TOL.decoderProbabilities) expect(row.indexOf(Math.max(...row)), s.id).toBe(s.top1)
        }
      })

      const spec = specOrNull(folder)
      const dataset = subsetDataset(spec)
      const sub = dataset ? SUBSETS[dataset] : null
      const skipSubset =
        missing ??
        (!sub ? `no test set for its classes and input size (${spec?.training.dataset ?? 'invalid model.json'}): training/subset.py has no source for it` : null) ??
        (sub && !existsSync(sub.data) ? `${sub.data} is absent` : null)
      const title = sub ? `the first ${sub.count} ${dataset} test images (PNG, ${sub.resolution} px)` : 'a test subset'
      it.skipIf(skipSubset !== null)(`the engine re-evaluates ${title} like PyTorch on the same pixels: clean probabilities and per-image correctness under L2 PGD-${sub?.steps} at ε ${sub?.eps}${skipSubset ? ` (skipped: ${skipSubset})` : ''}`, async () => {
        const subset = dataset ? subsets[dataset] : undefined
        if (!spec || !subset || !sub || !dataset) throw new Error('no subset reference')
        const { labels, classes } = subset
        const ref = subset.models[spec.id]
        const n = sub.count
        const per = classes.length
        const files = Array.from({ length: n }, (_, i) => join(subsetDir(dataset), 'test', classes[labels[i]], `${String(Math.floor(i / per)).padStart(4, '0')}.png`))
        const images = await loadBatch(files, spec.input.width, spec.input.height)
        const { probabilities } = (await runJob(engine, spec.id, images, { method: 'predict' })).predictions
        note(`${dataset} subset probabilities (abs)`, Math.max(...Array.from(probabilities, (p, j) => Math.abs(p - ref.probabilities[j]))))
        for (let j = 0; j < probabilities.length; j++) expect(Math.abs(probabilities[j] - ref.probabilities[j]), `value ${j}`).toBeLessThanOrEqual(TOL.probabilities)
        const r = await runJob(engine, spec.id, images, { method: 'evaluate', labels, threat: 'l2', epsList: [0, sub.eps], steps: sub.steps, stepFactor: 2.5, randomStart: false, minimalEps: false, seed: 0 })
        let compared = 0
        for (const [e, margins] of [ref.cleanMargin, ref.pgdMargin].entries()) {
          for (let i = 0; i < n; i++) {
            if (Math.abs(margins[i]) < 1e-3) continue // a near-tie may fall either way between float orderings
            compared++
            expect(r.correct[e * n + i] === 1, `ε ${r.epsList[e]} image ${i}`).toBe(margins[i] > 0)
          }
        }
        expect(compared).toBeGreaterThan(1.8 * n)
        // and a continuous outcome: mean p(true) over the images, clean and at the best PGD iterate
        const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length
        for (const [e, p] of [ref.cleanTrueProb, ref.pgdTrueProb].entries()) {
          note(`${dataset} subset mean p(true) ε ${r.epsList[e]} (abs)`, Math.abs(r.meanTrueProb[e] - mean(p)))
          expect(Math.abs(r.meanTrueProb[e] - mean(p)), `mean p(true) at ε ${r.epsList[e]}`).toBeLessThanOrEqual(TOL.meanTrueProb)
        }
        measured[`${spec.id} subset accuracy clean (engine)`] = r.accuracy[0]
        measured[`${spec.id} subset accuracy PGD (engine)`] = r.accuracy[1]
        expect(r.accuracy[1], 'the attack lowers the accuracy').toBeLessThan(r.accuracy[0])
      })
    })
  }
})
