/**
 * What every CLI command shares: the resolved models, the inputs, the runner, the --out folder, and building +
 * validating the JobRequest exactly as the app does (JobRequestSchema) before the engine sees it.
 */
import { existsSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import type { ImageBatch } from '../../shared/images'
import { JobRequestSchema, type JobProgress, type JobRequestInput, type MethodParams, type Predictions } from '../../shared/jobs'
import type { ModelSpec } from '../../shared/model-format'
import { isPresetId, PRESET_IDS, type PresetId } from '../../shared/presets'
import { listModels } from '../catalog'
import { readModelSpec } from '../engine/models/format'
import type { BackendName } from '../engine/api'
import { BACKEND_NAMES } from '../engine/backends/names'
import { Options, type Command } from './args'
import { InputError, UsageError } from './errors'
import type { FailedInput, InputSource } from './inputs'
import { OutDir } from './output'
import type { Runner, RunnerFactory, RunnerOutput } from './runner'

export interface CliIo {
  stdout(text: string): void
  stderr(text: string): void
}

export interface ResolvedModel {
  id: string
  dir: string
  spec: ModelSpec
}

/** A parameter of the job → the option that sets it, for error messages. */
const FLAG_OF: Record<string, string> = {
  eps: '--eps',
  stepSize: '--step',
  steps: '--steps',
  targetClass: '--target',
  trueClass: '--true-class',
  restarts: '--restarts',
  keepIterates: '--keep-iterates',
  seed: '--seed',
  classIndex: '--class',
  samples: '--n',
  sigma: '--sigma',
  feature: '--feature',
  noiseSigma: '--noise-sigma',
  features: '--features',
  epsList: '--eps-list',
  stepFactor: '--step-factor'
}

export class Context {
  readonly opts: Options
  readonly out: OutDir
  readonly seed: number
  readonly startedAt = Date.now()
  models: ResolvedModel[] = []
  modelsDir = ''
  inputs: InputSource[] = []
  /** Inputs left out of the run, each with its reason (the run exits 1 when there are any). */
  failedInputs: FailedInput[] = []
  private runnerPromise: Promise<Runner> | null = null

  constructor(
    readonly command: Command,
    values: Record<string, string | boolean | string[] | undefined>,
    readonly positionals: string[],
    readonly io: CliIo,
    private readonly runnerFactory: RunnerFactory,
    /** Where models are when --models-dir is not given (the built CLI: the project's resources/models). */
    private readonly defaultModelsDir = 'resources/models'
  ) {
    this.opts = new Options(values)
    this.out = new OutDir(this.opts.string('out'))
    this.seed = this.opts.int('seed', 0)
  }

  /** --models-dir (relative to the current directory), else the default folder. */
  modelsDirOption(): string {
    return resolve(this.opts.string('models-dir') ?? this.defaultModelsDir)
  }

  get quiet(): boolean {
    return this.opts.flag('quiet')
  }

  /** --preset, or the command's natural default. */
  preset(fallback: PresetId = 'lab'): PresetId {
    const p = this.opts.string('preset')
    if (p === undefined) return fallback
    if (!isPresetId(p)) throw new UsageError(`--preset: '${p}' is not one of ${PRESET_IDS.join(', ')}`)
    return p
  }

  backends(): BackendName[] | undefined {
    const b = this.opts.choice('backend', BACKEND_NAMES)
    return b ? [b] : undefined
  }

  workers(): number {
    return this.opts.int('workers', 0)
  }

  /** --threads: wasm threads per engine (default 1). */
  wasmThreads(): number {
    return this.opts.int('threads', 1)
  }

  /** --model values (ids under --models-dir, or folders), default the first model found; all must share one folder. */
  async resolveModels(max = 2): Promise<ResolvedModel[]> {
    const defaultDir = this.modelsDirOption()
    const given = this.opts.strings('model')
    if (given.length > max) throw new UsageError(`--model: at most ${max} models (a twin run), got ${given.length}`)
    const dirs: string[] = []
    if (given.length === 0) {
      const found = await listModels(defaultDir, (m) => this.warn(m))
      if (found.length === 0) throw new InputError(`${defaultDir}: no models found; pass --model or --models-dir`)
      for (const m of defaultPair(found).slice(0, max)) dirs.push(resolve(defaultDir, m.id))
    }
    for (const m of given) {
      // a path (has a separator, or names an existing folder with a model.json) or an id under the models folder
      const asPath = resolve(m)
      dirs.push(m.includes('/') || m.includes('\\') || existsSync(resolve(asPath, 'model.json')) ? asPath : resolve(defaultDir, m))
    }
    const parents = new Set(dirs.map((d) => dirname(d)))
    if (parents.size > 1) throw new UsageError(`--model: the models of a twin run must live in one folder (got ${[...parents].join(' and ')})`)
    this.modelsDir = [...parents][0]
    this.models = []
    for (const dir of dirs) {
      const spec = await readModelSpec(dir).catch((e: Error) => {
        throw new InputError(e.message)
      })
      this.models.push({ id: spec.id, dir, spec })
    }
    const [a, b] = this.models
    if (b && (a.spec.input.height !== b.spec.input.height || a.spec.input.width !== b.spec.input.width)) {
      throw new UsageError(`--model: a twin run needs one input size (${a.id} takes ${a.spec.input.height}×${a.spec.input.width}, ${b.id} ${b.spec.input.height}×${b.spec.input.width})`)
    }
    return this.models
  }

  /**
   * A class option (--target, --true-class, --class) by name (case-insensitive) or index, resolved against the
   * models' classes; undefined when not given.
   */
  classIndex(option: string): number | undefined {
    const text = this.opts.classSyntax(option)
    if (text === undefined) return undefined
    const classes = this.models[0].spec.classes
    const other = this.models.find((m) => m.spec.classes.join('\n') !== classes.join('\n'))
    if (other) throw new UsageError(`--${option}: ${this.models[0].id} and ${other.id} have different classes; a class cannot be named for both`)
    const index = /^\d+$/.test(text) ? Number(text) : classes.findIndex((c) => c.toLowerCase() === text.toLowerCase())
    if (index < 0 || index >= classes.length) {
      throw new UsageError(`--${option}: '${text}' is not a class of ${this.models[0].id}: give a name (${classes.join(', ')}) or an index 0–${classes.length - 1}`)
    }
    return index
  }

  /**
   * --crop-fraction, else the models' input.cropFraction (1 when absent): the crop of image files, as in the model's
   * evaluation. Test sets that were already center-cropped to the model's size need 1, or they would be cropped twice.
   */
  get cropFraction(): number {
    const given = this.opts.number('crop-fraction')
    if (given !== undefined) {
      if (!(given > 0 && given <= 1)) throw new UsageError(`--crop-fraction must be in (0, 1], got ${given}`)
      return given
    }
    const [a, b] = this.models
    const fraction = a.spec.input.cropFraction ?? 1
    if (b && (b.spec.input.cropFraction ?? 1) !== fraction) throw new UsageError(`--model: ${a.id} and ${b.id} were evaluated on different crops (input.cropFraction ${fraction} and ${b.spec.input.cropFraction ?? 1})`)
    return fraction
  }

  get inputSize(): { height: number; width: number } {
    return { height: this.models[0].spec.input.height, width: this.models[0].spec.input.width }
  }

  runner(): Promise<Runner> {
    this.runnerPromise ??= this.runnerFactory({ modelsDir: this.modelsDir, workers: this.workers(), backends: this.backends(), wasmThreads: this.wasmThreads() })
    return this.runnerPromise
  }

  async dispose(): Promise<void> {
    if (this.runnerPromise) await (await this.runnerPromise.catch(() => null))?.dispose()
  }

  warn(message: string): void {
    this.io.stderr(`warning: ${message}\n`)
  }

  /** Validate {models, images, params} with the app's JobRequestSchema; bad parameters are usage errors, bad pixels input errors. */
  validate(images: ImageBatch, params: MethodParams | JobRequestInput['params']): { images: ImageBatch; params: MethodParams } {
    const request: JobRequestInput = { models: this.models.map((m) => m.id), images, params }
    const parsed = JobRequestSchema.safeParse(request)
    if (!parsed.success) {
      const issue = parsed.error.issues[0]
      if (issue.path[0] === 'images') throw new InputError(`input images: ${issue.message}`)
      const key = [...issue.path].reverse().find((p): p is string => typeof p === 'string' && p in FLAG_OF)
      throw new UsageError(`${key ? FLAG_OF[key] : issue.path.join('.')}: ${issue.message}`)
    }
    return { images: parsed.data.images, params: parsed.data.params }
  }

  /** Run one method on every model: in parallel on a pool, one after the other in process. */
  async runAll(images: ImageBatch, params: MethodParams | JobRequestInput['params']): Promise<{ model: ResolvedModel; output: RunnerOutput }[]> {
    const job = this.validate(images, params)
    const runner = await this.runner()
    const runOne = async (model: ResolvedModel) => ({
      model,
      output: await runner.run({ modelId: model.id, images: job.images, params: job.params }, { onProgress: this.progressPrinter(model.id) })
    })
    if (runner.workers > 1) return Promise.all(this.models.map(runOne))
    const out = []
    for (const m of this.models) out.push(await runOne(m))
    return out
  }

  /** At most one progress line a second on stderr (never with --quiet or --json). */
  progressPrinter(modelId: string): (p: JobProgress) => void {
    let last = 0
    return (p) => {
      if (this.quiet || this.opts.flag('json')) return
      const now = Date.now()
      if (now - last < 1000 && p.step < p.totalSteps) return
      last = now
      const eta = p.etaMs !== null && p.step < p.totalSteps ? `, ~${(p.etaMs / 1000).toFixed(1)} s left` : ''
      this.io.stderr(`${modelId}: step ${p.step}/${p.totalSteps}${eta}\n`)
    }
  }
}

/**
 * The pair the app shows first (renderer state/models.svelte.ts groupPairs): pairs by ModelInfo.pair sorted by id,
 * the first one's standard model and its first robust model by id. Models without a pair role fall back to the
 * first model found.
 */
export function defaultPair<M extends { id: string; pair: string; role: string }>(models: readonly M[]): M[] {
  const pairs = [...new Set(models.map((m) => m.pair))].sort((a, b) => a.localeCompare(b))
  for (const pair of pairs) {
    const members = models.filter((m) => m.pair === pair)
    const standard = members.find((m) => m.role === 'standard')
    const robust = members.filter((m) => m.role !== 'standard').sort((a, b) => a.id.localeCompare(b.id))[0]
    const chosen = [standard, robust].filter((m): m is M => m !== undefined)
    if (chosen.length) return chosen
  }
  return models.slice(0, 1)
}

export interface TopClass {
  index: number
  name: string
  p: number
}

/** Top-k classes of image i. */
export function topK(pred: Predictions, i: number, k: number, classes: readonly string[]): TopClass[] {
  const row = pred.probabilities.subarray(i * pred.classes, (i + 1) * pred.classes)
  return Array.from(row.keys())
    .sort((a, b) => row[b] - row[a] || a - b)
    .slice(0, Math.min(k, pred.classes))
    .map((index) => ({ index, name: classes[index] ?? String(index), p: row[index] }))
}

export function topKAll(pred: Predictions, k: number, classes: readonly string[]): TopClass[][] {
  const n = pred.probabilities.length / pred.classes
  return Array.from({ length: n }, (_, i) => topK(pred, i, k, classes))
}
