/**
 * The method commands: predict, saliency, attack, visualize, activations. Each builds the job parameters of
 * src/shared/jobs.ts from the options, runs them on every model through Context.runAll, writes its files to --out
 * and returns its part of result.json.
 */
import type { ImageBatch } from '../../shared/images'
import type {
  ActivationsResult,
  AttackParams,
  AttackResult,
  FeatureVizParams,
  FeatureVizResult,
  MethodResult,
  PredictResult,
  SaliencyParams,
  SaliencyResult,
  SmoothingParams,
  StepTelemetry
} from '../../shared/jobs'
import { conventionStamp, describeScale, renderMap, sharedScale, type PresetId, type PresetScale, type RawMap } from '../../shared/presets'
import { tableCsv, telemetryCsv } from './csv'
import type { Context } from './context'
import { topKAll } from './context'
import { UsageError } from './errors'
import { rgbFloatToRgba } from './images'
import { loadInputs } from './inputs'
import { safeName } from './output'

export type ResultRecord = Record<string, unknown>

type Shape = [number, number, number, number]

function expect<M extends MethodResult['method']>(result: MethodResult, method: M): Extract<MethodResult, { method: M }> {
  if (result.method !== method) throw new Error(`engine returned a '${result.method}' result for a '${method}' job`)
  return result as Extract<MethodResult, { method: M }>
}

async function requireInputs(ctx: Context): Promise<ImageBatch> {
  const { height, width } = ctx.inputSize
  const loaded = await loadInputs(ctx.positionals, ctx.opts.string('input-npy'), height, width, ctx.cropFraction)
  if (!loaded) throw new UsageError('no input images: give image files/folders or --input-npy FILE')
  ctx.inputs = loaded.sources
  ctx.failedInputs = loaded.failed
  return loaded.batch
}

async function optionalInputs(ctx: Context): Promise<ImageBatch | null> {
  const { height, width } = ctx.inputSize
  const loaded = await loadInputs(ctx.positionals, ctx.opts.string('input-npy'), height, width, ctx.cropFraction)
  if (loaded) {
    ctx.inputs = loaded.sources
    ctx.failedInputs = loaded.failed
  }
  return loaded?.batch ?? null
}

/** Image i of an NHWC array as a RawMap. */
function mapOf(data: Float32Array, shape: Shape, i: number): RawMap {
  const per = shape[1] * shape[2] * shape[3]
  return { data: data.subarray(i * per, (i + 1) * per), height: shape[1], width: shape[2] }
}

/** Write the inputs as PNG + .npy so an output folder is self-contained. */
async function writeInputs(ctx: Context, images: ImageBatch): Promise<void> {
  if (!ctx.out.enabled) return
  const [n, h, w] = images.shape
  await ctx.out.npy('input.npy', images.data, images.shape)
  for (let i = 0; i < n; i++) await ctx.out.png(`input-${i}.png`, rgbFloatToRgba(mapOf(images.data, images.shape, i).data, w, h), w, h)
}

/**
 * Render per image with the preset and write PNGs; with --shared-scale and two models, both maps of image i share
 * one scale. Returns the scale and stamp of every image per model.
 */
async function renderMaps(ctx: Context, prefix: string, runs: { modelId: string; data: Float32Array; shape: Shape }[], preset: PresetId, extra: string[]) {
  const shared = ctx.opts.flag('shared-scale') && runs.length === 2
  const scales: Record<string, { scale: PresetScale; text: string; stamp: string }[]> = {}
  const n = runs[0]?.shape[0] ?? 0
  for (const r of runs) scales[r.modelId] = []
  for (let i = 0; i < n; i++) {
    const common = shared ? sharedScale(mapOf(runs[0].data, runs[0].shape, i), mapOf(runs[1].data, runs[1].shape, i), preset) : undefined
    for (const r of runs) {
      const rendered = renderMap(mapOf(r.data, r.shape, i), preset, common)
      await ctx.out.png(`${prefix}-${safeName(r.modelId)}-${i}.png`, rendered.rgba, rendered.width, rendered.height)
      scales[r.modelId].push({ scale: rendered.scale, text: describeScale(rendered.scale), stamp: conventionStamp(rendered.scale, [...extra, ...(shared ? ['shared scale'] : [])]) })
    }
  }
  return { preset, shared, perImage: scales }
}

const classesOf = (ctx: Context, modelId: string): string[] => ctx.models.find((m) => m.id === modelId)?.spec.classes ?? []

// ───────────────────────────── predict ─────────────────────────────

export async function predictCommand(ctx: Context): Promise<ResultRecord> {
  const images = await requireInputs(ctx)
  const k = ctx.opts.int('top', 5)
  const runs = await ctx.runAll(images, { method: 'predict' })
  const predictions: Record<string, unknown> = {}
  const rows: (string | number)[][] = []
  for (const { model, output } of runs) {
    const r: PredictResult = expect(output.result, 'predict')
    const top = topKAll(r.predictions, k, model.spec.classes)
    predictions[model.id] = top
    await ctx.out.npy(`probabilities-${safeName(model.id)}.npy`, r.predictions.probabilities, [images.shape[0], r.predictions.classes])
    top.forEach((t, i) => t.forEach((c, rank) => rows.push([model.id, i, ctx.inputs[i]?.source ?? '', rank + 1, c.index, c.name, c.p])))
  }
  await ctx.out.write('predictions.csv', tableCsv(['model', 'image', 'source', 'rank', 'class', 'name', 'p'], rows))
  return { params: { method: 'predict', top: k }, predictions, runs: runs.map((r) => r.output.run) }
}

// ───────────────────────────── saliency ─────────────────────────────

function smoothingFrom(ctx: Context): SmoothingParams {
  const variant = ctx.opts.choice('variant', ['none', 'smoothgrad', 'smoothgrad2', 'vargrad'] as const)
  const kind = variant ?? (ctx.opts.string('n') !== undefined || ctx.opts.string('sigma') !== undefined ? 'smoothgrad' : 'none')
  if (kind === 'none') {
    if (ctx.opts.string('n') !== undefined) throw new UsageError('--n needs a SmoothGrad variant (drop --variant none)')
    return { kind }
  }
  return { kind, samples: ctx.opts.int('n', 50), sigma: ctx.opts.number('sigma', 0.15), clipNoisy: ctx.opts.flag('clip-noisy') }
}

export async function saliencyCommand(ctx: Context): Promise<ResultRecord> {
  const images = await requireInputs(ctx)
  const params: SaliencyParams = {
    method: 'saliency',
    gradient: ctx.opts.choice('gradient', ['loss', 'score'] as const, 'loss'),
    classIndex: ctx.classIndex('class') ?? null,
    smoothing: smoothingFrom(ctx),
    seed: ctx.seed
  }
  const runs = await ctx.runAll(images, params)
  await writeInputs(ctx, images)
  const results = runs.map(({ model, output }) => ({ model, r: expect(output.result, 'saliency') as SaliencyResult }))
  for (const { model, r } of results) await ctx.out.npy(`saliency-${safeName(model.id)}.npy`, r.maps, r.shape)
  const s = params.smoothing
  const extra = [
    params.gradient === 'loss' ? 'loss gradient ∇CE' : 'class-score gradient ∇f_y',
    s.kind === 'none' ? 'no smoothing' : `${s.kind} N=${s.samples} σ=${s.sigma} of range`
  ]
  const rendering = await renderMaps(
    ctx,
    'saliency',
    results.map(({ model, r }) => ({ modelId: model.id, data: r.maps, shape: r.shape })),
    ctx.preset('lab'),
    extra
  )
  return {
    params,
    rendering,
    results: Object.fromEntries(
      results.map(({ model, r }) => [
        model.id,
        {
          classIndex: r.classIndex,
          className: r.classIndex.map((c) => model.spec.classes[c]),
          sigmaAbsolute: r.sigmaAbsolute,
          outOfRangeFraction: r.outOfRangeFraction,
          shape: r.shape
        }
      ])
    ),
    predictions: Object.fromEntries(results.map(({ model, r }) => [model.id, topKAll(r.predictions, 5, model.spec.classes)])),
    runs: runs.map((r) => r.output.run)
  }
}

// ───────────────────────────── attack / visualize ─────────────────────────────

function stepDefault(eps: number, steps: number): number {
  // robustness evaluation protocol: 2.5·ε/steps (science.md §3)
  return eps > 0 ? (2.5 * eps) / steps : 0.01
}

async function writeIterates(ctx: Context, prefix: string, modelId: string, iterates: { step: number; images: Float32Array }[], shape: Shape): Promise<number[]> {
  if (iterates.length === 0) return []
  const per = shape[0] * shape[1] * shape[2] * shape[3]
  const all = new Float32Array(iterates.length * per)
  iterates.forEach((it, k) => all.set(it.images, k * per))
  await ctx.out.npy(`${prefix}-iterates-${safeName(modelId)}.npy`, all, [iterates.length, ...shape])
  return iterates.map((it) => it.step)
}

async function writeImages(ctx: Context, prefix: string, modelId: string, data: Float32Array, shape: Shape): Promise<void> {
  for (let i = 0; i < shape[0]; i++) await ctx.out.png(`${prefix}-${safeName(modelId)}-${i}.png`, rgbFloatToRgba(mapOf(data, shape, i).data, shape[2], shape[1]), shape[2], shape[1])
}

const lastTelemetry = (t: StepTelemetry[]): StepTelemetry | null => t[t.length - 1] ?? null

export async function attackCommand(ctx: Context): Promise<ResultRecord> {
  const images = await requireInputs(ctx)
  const threat = ctx.opts.choice('threat', ['l2', 'linf'] as const, 'l2')
  const eps = ctx.opts.number('eps', threat === 'l2' ? 0.5 : 8 / 255)
  const steps = ctx.opts.int('steps', 20)
  const target = ctx.classIndex('target')
  const params: AttackParams = {
    method: 'attack',
    threat,
    eps,
    stepSize: ctx.opts.number('step', stepDefault(eps, Math.max(1, steps))),
    steps,
    targeted: target !== undefined,
    targetClass: target ?? null,
    trueClass: ctx.classIndex('true-class') ?? null,
    randomStart: ctx.opts.flag('random-start'),
    restarts: ctx.opts.int('restarts', 0),
    useBest: ctx.opts.flag('use-best'),
    keepIterates: ctx.opts.int('keep-iterates', 0),
    seed: ctx.seed
  }
  const runs = await ctx.runAll(images, params)
  await writeInputs(ctx, images)
  const results = runs.map(({ model, output }) => ({ model, r: expect(output.result, 'attack') as AttackResult }))
  const iterateSteps: Record<string, number[]> = {}
  for (const { model, r } of results) {
    await ctx.out.npy(`adversarial-${safeName(model.id)}.npy`, r.adversarial, r.shape)
    await ctx.out.npy(`perturbation-${safeName(model.id)}.npy`, r.perturbation, r.shape)
    await writeImages(ctx, 'adversarial', model.id, r.adversarial, r.shape)
    iterateSteps[model.id] = await writeIterates(ctx, 'attack', model.id, r.iterates, r.shape)
  }
  const rendering = await renderMaps(
    ctx,
    'perturbation',
    results.map(({ model, r }) => ({ modelId: model.id, data: r.perturbation, shape: r.shape })),
    ctx.preset('perturbation'),
    [`${threat} ε=${eps}`]
  )
  await ctx.out.write('telemetry.csv', telemetryCsv(results.map(({ model, r }) => ({ modelId: model.id, telemetry: r.telemetry }))))
  return {
    params,
    rendering,
    results: Object.fromEntries(
      results.map(({ model, r }) => {
        const last = lastTelemetry(r.telemetry)
        return [
          model.id,
          {
            trueClass: r.trueClass,
            targetClass: r.targetClass,
            flippedAt: r.flippedAt,
            before: topKAll(r.before, 5, model.spec.classes),
            after: topKAll(r.after, 5, model.spec.classes),
            finalDeltaL2: last?.deltaL2 ?? null,
            finalDeltaLinf: last?.deltaLinf ?? null,
            finalLoss: last?.loss ?? null,
            iterateSteps: iterateSteps[model.id]
          }
        ]
      })
    ),
    runs: runs.map((r) => r.output.run)
  }
}

export async function visualizeCommand(ctx: Context): Promise<ResultRecord> {
  const feature = ctx.opts.int('feature')
  if (feature === undefined) throw new UsageError('visualize needs --feature K')
  const given = await optionalInputs(ctx)
  const start = ctx.opts.choice('start', ['image', 'gray', 'noise'] as const, given ? 'image' : 'gray')
  if (start === 'image' && !given) throw new UsageError('--start image needs input images (files or --input-npy)')
  let images = given
  if (!images) {
    const { height, width } = ctx.inputSize
    const n = ctx.opts.int('count', 1)
    images = { data: new Float32Array(n * height * width * 3).fill(0.5), shape: [n, height, width, 3] }
    ctx.inputs = Array.from({ length: n }, () => ({ source: start === 'gray' ? 'gray 0.5' : 'noise' }))
  }
  const params: FeatureVizParams = {
    method: 'featureViz',
    feature,
    fakeRelu: ctx.opts.flag('fake-relu'),
    start,
    noiseSigma: ctx.opts.number('noise-sigma', 0.05),
    eps: ctx.opts.number('eps', 1000),
    stepSize: ctx.opts.number('step', 1),
    steps: ctx.opts.int('steps', 200),
    keepIterates: ctx.opts.int('keep-iterates', 0),
    seed: ctx.seed
  }
  for (const m of ctx.models) {
    if (feature >= m.spec.representation.size) throw new UsageError(`--feature: ${feature} is outside ${m.id}'s representation (size ${m.spec.representation.size})`)
  }
  const runs = await ctx.runAll(images, params)
  if (given) await writeInputs(ctx, images)
  const results = runs.map(({ model, output }) => ({ model, r: expect(output.result, 'featureViz') as FeatureVizResult }))
  const iterateSteps: Record<string, number[]> = {}
  for (const { model, r } of results) {
    await ctx.out.npy(`featureviz-${safeName(model.id)}.npy`, r.images, r.shape)
    await writeImages(ctx, 'featureviz', model.id, r.images, r.shape)
    iterateSteps[model.id] = await writeIterates(ctx, 'featureviz', model.id, r.iterates, r.shape)
  }
  await ctx.out.write('telemetry.csv', telemetryCsv(results.map(({ model, r }) => ({ modelId: model.id, telemetry: r.telemetry }))))
  return {
    params,
    results: Object.fromEntries(
      results.map(({ model, r }) => [
        model.id,
        { feature: r.feature, activationStart: r.activationStart, activationEnd: r.activationEnd, after: topKAll(r.after, 5, model.spec.classes), iterateSteps: iterateSteps[model.id] }
      ])
    ),
    runs: runs.map((r) => r.output.run)
  }
}

// ───────────────────────────── activations ─────────────────────────────

export async function activationsCommand(ctx: Context): Promise<ResultRecord> {
  const images = await requireInputs(ctx)
  const features = ctx.opts.intList('features') ?? []
  const k = ctx.opts.int('top', 5)
  for (const m of ctx.models) {
    const bad = features.find((f) => f >= m.spec.representation.size)
    if (bad !== undefined) throw new UsageError(`--features: ${bad} is outside ${m.id}'s representation (size ${m.spec.representation.size})`)
  }
  const runs = await ctx.runAll(images, { method: 'activations', features })
  const n = images.shape[0]
  const rows: (string | number)[][] = []
  const results: Record<string, unknown> = {}
  for (const { model, output } of runs) {
    const r = expect(output.result, 'activations') as ActivationsResult
    const f = r.features.length
    await ctx.out.npy(`activations-${safeName(model.id)}.npy`, r.values, [n, f])
    const ranking: Record<string, { top: { image: number; source: string; value: number }[]; bottom: { image: number; source: string; value: number }[] }> = {}
    // per-coordinate rankings only for coordinates asked for by name (all 512+ would bloat result.json)
    const ranked = features.length > 0 ? r.features : []
    for (const [j, feature] of r.features.entries()) {
      for (let i = 0; i < n; i++) rows.push([model.id, i, ctx.inputs[i]?.source ?? '', feature, r.values[i * f + j]])
    }
    for (const feature of ranked) {
      const j = r.features.indexOf(feature)
      const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => r.values[b * f + j] - r.values[a * f + j] || a - b)
      const entry = (i: number) => ({ image: i, source: ctx.inputs[i]?.source ?? '', value: r.values[i * f + j] })
      ranking[feature] = { top: order.slice(0, k).map(entry), bottom: order.slice(-k).reverse().map(entry) }
    }
    results[model.id] = { features: r.features.length === model.spec.representation.size && features.length === 0 ? 'all' : r.features, ranking }
  }
  await ctx.out.write('activations.csv', tableCsv(['model', 'image', 'source', 'feature', 'value'], rows))
  return { params: { method: 'activations', features, top: k }, results, runs: runs.map((r) => r.output.run) }
}
