/**
 * `npm run lab -- <command>`: parse, resolve models and inputs, run the command, write result.json, map failures to
 * exit codes (0 ok, 1 unusable input or failed run, 2 bad command line). The entry (src/main/cli.ts) only calls
 * runCli with the process's streams; tests call runCli directly.
 */
import { ModelFormatError } from '../engine/models/format'
import { isCommand, parseCommandLine, usage, type Command } from './args'
import { activationsCommand, attackCommand, predictCommand, saliencyCommand, visualizeCommand, type ResultRecord } from './commands'
import { Context, type CliIo } from './context'
import { InputError, UsageError } from './errors'
import { evaluateCommand } from './evaluate'
import { modelsCommand } from './models'
import { createRunner, type RunnerFactory, type RunnerOutput } from './runner'

export const CLI_VERSION = '0.1.0'

export interface CliDeps {
  createRunner?: RunnerFactory
  /** Default of --models-dir (default: resources/models under the current directory). */
  defaultModelsDir?: string
}

type Handler = (ctx: Context) => Promise<ResultRecord>

const handlers: Record<Exclude<Command, 'bench' | 'models'>, Handler> = {
  predict: predictCommand,
  saliency: saliencyCommand,
  attack: attackCommand,
  visualize: visualizeCommand,
  activations: activationsCommand,
  evaluate: evaluateCommand
}

/** JSON with typed arrays as plain arrays and non-finite numbers as null. */
export function toJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_key, v: unknown) => {
      if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return Array.from(v as unknown as ArrayLike<number>)
      if (typeof v === 'number' && !Number.isFinite(v)) return null
      return v
    },
    2
  )
}

const flipped = (step: number | null | undefined): string => (step === null || step === undefined ? 'flipped: no' : `flipped: yes, at step ${step}`)

function summary(command: Command, record: ResultRecord, ctx: Context): string {
  const lines: string[] = []
  const results = (record.results ?? {}) as Record<string, Record<string, unknown>>
  if (command === 'predict') {
    for (const [id, perImage] of Object.entries(record.predictions as Record<string, { name: string; p: number }[][]>)) {
      perImage.forEach((top, i) => lines.push(`${id} · ${ctx.inputs[i]?.source ?? i}: ${top.slice(0, 3).map((c) => `${c.name} ${(c.p * 100).toFixed(1)} %`).join(', ')}`))
    }
  } else if (command === 'attack') {
    for (const [id, r] of Object.entries(results)) {
      const after = r.after as { name: string; p: number }[][]
      after.forEach((top, i) => lines.push(`${id} · image ${i}: → ${top[0]?.name} ${((top[0]?.p ?? 0) * 100).toFixed(1)} %, ${flipped((r.flippedAt as (number | null)[])[i])}`))
    }
  } else if (command === 'visualize') {
    for (const [id, r] of Object.entries(results)) {
      const a = r.activationStart as number[]
      const b = r.activationEnd as number[]
      a.forEach((v, i) => lines.push(`${id} · image ${i}: r_${r.feature} ${v.toPrecision(4)} → ${b[i].toPrecision(4)}`))
    }
  } else if (command === 'evaluate') {
    const eps = (record.params as { epsList: number[] }).epsList
    for (const [id, r] of Object.entries(results)) {
      lines.push(`${id}: ${eps.map((e, k) => `ε=${+e.toPrecision(4)}: ${((r.accuracy as number[])[k] * 100).toFixed(1)} %`).join(', ')} (${r.images} images)`)
    }
  } else if (command === 'saliency') {
    for (const [id, r] of Object.entries(results)) lines.push(`${id}: ${(r.shape as number[])[0]} map(s) for class ${(r.className as string[]).join(', ')}`)
  } else if (command === 'activations') {
    for (const id of Object.keys(results)) lines.push(`${id}: activations of ${ctx.inputs.length} image(s)`)
  }
  if (ctx.out.enabled) lines.push(`wrote ${ctx.out.files.length} files to ${ctx.out.dir}`)
  return lines.length ? lines.join('\n') + '\n' : ''
}

function describeError(e: unknown): { code: number; message: string } {
  if (e instanceof UsageError) return { code: 2, message: e.message }
  if (e instanceof InputError || e instanceof ModelFormatError) return { code: 1, message: e.message }
  return { code: 1, message: e instanceof Error ? e.message : String(e) }
}

export async function runCli(argv: string[], io: CliIo, deps: CliDeps = {}): Promise<number> {
  let parsed: ReturnType<typeof parseCommandLine>
  try {
    parsed = parseCommandLine(argv)
  } catch (e) {
    // a bad option of a known command: that command's usage, not the list of commands
    io.stderr(`error: ${(e as Error).message}\n\n${usage(argv[0] !== undefined && isCommand(argv[0]) ? argv[0] : undefined)}\n`)
    return 2
  }
  if ('help' in parsed) {
    io.stdout(usage(parsed.command) + '\n')
    return 0
  }
  const { command } = parsed
  let ctx: Context | null = null
  try {
    ctx = new Context(command, parsed.values, parsed.positionals, io, deps.createRunner ?? createRunner, deps.defaultModelsDir)
    if ((command === 'bench' || command === 'models') && parsed.positionals.length > 0) {
      throw new UsageError(`${command} takes no positional arguments (got ${parsed.positionals.join(' ')})`)
    }
    if (command === 'bench') {
      const { runBench } = await import('./bench')
      io.stdout(toJson(await runBench(ctx)) + '\n')
      return 0
    }
    if (command === 'models') {
      const record = await modelsCommand(ctx)
      if (ctx.opts.flag('json')) io.stdout(toJson(record) + '\n')
      return 0
    }
    await ctx.resolveModels()
    await ctx.out.prepare()
    const record = await handlers[command](ctx)
    const runner = await ctx.runner()
    const runs = (record.runs ?? []) as RunnerOutput['run'][]
    const { runs: _runs, ...rest } = record
    const result = {
      tool: 'robust-lens lab',
      version: CLI_VERSION,
      command,
      argv,
      createdAt: new Date(ctx.startedAt).toISOString(),
      seed: ctx.seed,
      backend: runner.backend,
      workers: runner.workers,
      modelsDir: ctx.modelsDir,
      models: ctx.models.map((m) => {
        const run = runs.find((r) => r?.modelId === m.id)
        return {
          id: m.id,
          pair: m.spec.pair,
          role: m.spec.role,
          architecture: m.spec.architecture,
          input: [m.spec.input.height, m.spec.input.width],
          weightsSha256: run?.weightsSha256 ?? m.spec.weightsSha256 ?? null,
          engineMs: run?.ms ?? null
        }
      }),
      inputs: ctx.inputs,
      ...(ctx.failedInputs.length ? { failedInputs: ctx.failedInputs } : {}),
      ...rest,
      timings: { totalMs: Date.now() - ctx.startedAt, engineMs: Object.fromEntries(runs.filter(Boolean).map((r) => [r.modelId, r.ms])) },
      files: ctx.out.enabled ? [...ctx.out.files, 'result.json'] : []
    }
    const json = toJson(result)
    await ctx.out.write('result.json', json + '\n')
    io.stdout(ctx.opts.flag('json') ? json + '\n' : summary(command, record, ctx))
    // the good inputs were processed; each bad one is reported with its reason, and the run counts as failed
    for (const failed of ctx.failedInputs) io.stderr(`error: ${failed.reason}\n`)
    if (ctx.failedInputs.length) io.stderr(`${ctx.failedInputs.length} of ${ctx.failedInputs.length + ctx.inputs.length} inputs failed; the others were processed\n`)
    return ctx.failedInputs.length ? 1 : 0
  } catch (e) {
    const { code, message } = describeError(e)
    io.stderr(`error: ${message}\n`)
    if (code === 2) io.stderr(`\n${usage(command)}\n`)
    return code
  } finally {
    await ctx?.dispose()
  }
}
