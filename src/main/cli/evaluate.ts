/**
 * `evaluate`: accuracy and mean p(true) under PGD for a list of ε, over a labelled folder or .tar.gz. Images are
 * decoded, center-cropped and area-resized like every CLI input, then sent in jobs of --batch-size images; the
 * per-batch results are combined exactly (weighted by batch size).
 */
import type { EvaluateParams, EvaluateResult } from '../../shared/jobs'
import type { Context } from './context'
import { openLabelledSet } from './dataset'
import { InputError, UsageError } from './errors'
import { noUsableInputs } from './inputs'
import { decodeImage, fitToModel, toRgbFloat } from './images'
import { safeName } from './output'
import { tableCsv } from './csv'
import type { ResultRecord } from './commands'

export async function evaluateCommand(ctx: Context): Promise<ResultRecord> {
  const data = ctx.opts.string('data') ?? ctx.positionals[0]
  if (!data) throw new UsageError('evaluate needs --data DIR|FILE.tar.gz')
  if (ctx.positionals.length > (ctx.opts.string('data') ? 0 : 1)) throw new UsageError('evaluate takes its images from --data only')
  const threat = ctx.opts.choice('threat', ['l2', 'linf'] as const, 'l2')
  const epsList = ctx.opts.numberList('eps-list') ?? (threat === 'l2' ? [0, 0.25, 0.5, 1] : [0, 2 / 255, 4 / 255, 8 / 255])
  const limit = ctx.opts.int('limit')
  if (limit === 0) throw new UsageError('--limit must be at least 1')
  const batchSize = ctx.opts.int('batch-size', 100)
  if (batchSize < 1) throw new UsageError('--batch-size must be at least 1')
  const base = {
    method: 'evaluate' as const,
    threat,
    epsList,
    steps: ctx.opts.int('steps', 20),
    stepFactor: ctx.opts.number('step-factor', 2.5),
    randomStart: ctx.opts.flag('random-start'),
    minimalEps: ctx.opts.flag('minimal-eps'),
    seed: ctx.seed
  }
  const classes = ctx.models[0].spec.classes
  for (const m of ctx.models.slice(1)) {
    if (m.spec.classes.join('\n') !== classes.join('\n')) throw new UsageError(`--model: ${m.id} has other classes than ${ctx.models[0].id}`)
  }
  const listed = await openLabelledSet(data, classes, limit)
  const { height, width } = ctx.inputSize
  const labels: number[] = []
  const files: typeof listed = []
  const pixels = new Float32Array(listed.length * height * width * 3)
  // a file that cannot be decoded is reported and left out; the others are evaluated (exit 1 at the end)
  for (const f of listed) {
    let rgb
    try {
      rgb = fitToModel(toRgbFloat(decodeImage(await f.read(), `${data}:${f.name}`)), width, height, ctx.cropFraction)
    } catch (e) {
      if (!(e instanceof InputError)) throw e
      ctx.failedInputs.push({ source: f.name, reason: e.message })
      continue
    }
    pixels.set(rgb.data, files.length * height * width * 3)
    files.push(f)
    labels.push(f.label)
  }
  ctx.inputs = files.map((f) => ({ source: f.name }))
  if (listed.length === 0) throw new InputError(`${data}: no images selected`)
  if (files.length === 0) throw noUsableInputs(ctx.failedInputs)
  // validate the parameters once on the first batch's shape before any work
  ctx.validate({ data: pixels.subarray(0, height * width * 3), shape: [1, height, width, 3] }, { ...base, labels: [labels[0]] })

  const per = height * width * 3
  const totals = new Map<string, { correct: number[]; trueProb: number[]; minimalEps: (number | null)[]; ms: number; run: unknown }>()
  for (const m of ctx.models) totals.set(m.id, { correct: epsList.map(() => 0), trueProb: epsList.map(() => 0), minimalEps: [], ms: 0, run: null })
  const starts: number[] = []
  for (let start = 0; start < files.length; start += batchSize) starts.push(start)
  // on a pool, keep every worker busy: several batches at once (each batch already runs its models in parallel)
  const concurrency = Math.max(1, Math.floor((await ctx.runner()).workers / ctx.models.length))
  let done = 0
  const runBatch = async (start: number) => {
    const n = Math.min(batchSize, files.length - start)
    const params: EvaluateParams = { ...base, labels: labels.slice(start, start + n) }
    const runs = await ctx.runAll({ data: pixels.subarray(start * per, (start + n) * per), shape: [n, height, width, 3] }, params)
    done += n
    if (!ctx.quiet && !ctx.opts.flag('json')) ctx.io.stderr(`evaluated ${done}/${files.length} images\n`)
    return { n, runs }
  }
  for (let i = 0; i < starts.length; i += concurrency) {
    // combined in batch order, so per-image lists stay in file order
    for (const { n, runs } of await Promise.all(starts.slice(i, i + concurrency).map(runBatch))) {
      for (const { model, output } of runs) {
        const r = output.result as EvaluateResult
        if (r.method !== 'evaluate') throw new Error(`engine returned a '${r.method}' result for an 'evaluate' job`)
        const t = totals.get(model.id)!
        r.accuracy.forEach((a, e) => (t.correct[e] += a * n))
        r.meanTrueProb.forEach((p, e) => (t.trueProb[e] += p * n))
        if (r.minimalEps) t.minimalEps.push(...r.minimalEps)
        t.ms += output.run.ms
        t.run = output.run
      }
    }
  }
  const rows: (string | number | null)[][] = []
  const results: Record<string, unknown> = {}
  for (const [id, t] of totals) {
    const accuracy = t.correct.map((c) => c / files.length)
    const meanTrueProb = t.trueProb.map((p) => p / files.length)
    epsList.forEach((eps, e) => rows.push([id, threat, eps, accuracy[e], meanTrueProb[e], files.length]))
    results[id] = { accuracy, meanTrueProb, images: files.length, engineMs: t.ms, ...(base.minimalEps ? { minimalEps: t.minimalEps } : {}) }
    if (base.minimalEps) {
      await ctx.out.write(`minimal-eps-${safeName(id)}.csv`, tableCsv(['image', 'source', 'label', 'minimal_eps'], t.minimalEps.map((v, i) => [i, files[i].name, labels[i], v])))
    }
  }
  await ctx.out.write('evaluate.csv', tableCsv(['model', 'threat', 'eps', 'accuracy', 'mean_true_prob', 'images'], rows))
  return {
    params: { ...base, data, limit: limit ?? null, batchSize, images: files.length, perClass: classes.map((_, c) => labels.filter((l) => l === c).length) },
    results,
    runs: [...totals.values()].map((t) => t.run)
  }
}
