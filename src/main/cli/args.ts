/**
 * Command-line parsing for `npm run lab -- <command> …` with node:util parseArgs. Every command shares the common
 * options; method options mirror the job parameters of src/shared/jobs.ts. Anything malformed is a UsageError
 * (exit code 2). Whether a value is in range is left to JobRequestSchema where it can be, so the CLI and the app
 * refuse the same things.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { BACKEND_NAMES } from '../engine/backends/names'
import { UsageError } from './errors'

export const COMMANDS = ['predict', 'saliency', 'attack', 'visualize', 'activations', 'evaluate', 'bench', 'models'] as const
export type Command = (typeof COMMANDS)[number]

type OptionSpec = NonNullable<ParseArgsConfig['options']>[string] & {
  help: string
  arg?: string
  /** Checked right after parsing, before any file or model is touched. */
  check?: 'int' | 'number' | 'ints' | 'numbers' | 'class' | readonly string[]
}

const common: Record<string, OptionSpec> = {
  model: { type: 'string', multiple: true, arg: 'ID|DIR', help: 'model id under --models-dir, or a model folder; twice for a twin run (default: the first pair, standard + robust, as the app shows it)' },
  'models-dir': { type: 'string', arg: 'DIR', help: 'folder of model folders (default resources/models)' },
  out: { type: 'string', arg: 'DIR', help: 'write PNGs, .npy arrays, CSV and result.json here' },
  preset: { type: 'string', arg: 'ID', check: ['lab', 'smoothgrad', 'simonyan', 'diverging', 'perturbation'], help: 'visualization preset: lab, smoothgrad, simonyan, diverging, perturbation (default: lab; attack: perturbation)' },
  'shared-scale': { type: 'boolean', help: 'twin runs: one display scale computed from both models\' maps' },
  seed: { type: 'string', arg: 'N', check: 'int', help: 'seed of every random choice (default 0)' },
  json: { type: 'boolean', help: 'also print result.json to stdout' },
  'crop-fraction': { type: 'string', arg: 'F', check: 'number', help: 'center crop of image files before the resize, as a fraction of the short side (default: the model card\'s input.cropFraction, e.g. 128/146; give 1 for images already cropped to the model\'s size, such as png_split.py\'s test sets)' },
  'input-npy': { type: 'string', arg: 'FILE', help: 'input images as a float32 NHWC .npy in [0,1] (instead of image files)' },
  workers: { type: 'string', arg: 'N', check: 'int', help: 'run on N compute worker threads (default 0 = in this process)' },
  threads: { type: 'string', arg: 'N', check: 'int', help: 'wasm threads per engine (default 1; engine-notes §6.2: on 2 cores use 1 worker × 2 threads or 2 workers × 1 thread)' },
  backend: { type: 'string', arg: 'NAME', check: BACKEND_NAMES, help: `compute backend: one of ${BACKEND_NAMES.join(', ')} (default: the first of them that starts and passes its self-check)` },
  quiet: { type: 'boolean', short: 'q', help: 'no progress on stderr' },
  help: { type: 'boolean', short: 'h', help: 'show this help' }
}

const keepIterates: OptionSpec = { type: 'string', arg: 'N', check: 'int', help: 'save N evenly spaced iterates (always the last) as .npy (default 0)' }

export const commandOptions: Record<Command, Record<string, OptionSpec>> = {
  predict: { top: { type: 'string', arg: 'K', help: 'classes listed per image (default 5)' } },
  saliency: {
    gradient: { type: 'string', arg: 'loss|score', check: ['loss', 'score'], help: 'loss = ∇CE(f(x), y) (the lab, default); score = ∇f_y(x) (Simonyan, SmoothGrad)' },
    class: { type: 'string', arg: 'NAME|K', check: 'class', help: 'class of the gradient, by name or index (default: each model\'s top-1 prediction)' },
    variant: { type: 'string', arg: 'V', check: ['none', 'smoothgrad', 'smoothgrad2', 'vargrad'], help: 'none (default), smoothgrad, smoothgrad2, vargrad' },
    n: { type: 'string', arg: 'N', check: 'int', help: 'noise samples (default 50; implies --variant smoothgrad)' },
    sigma: { type: 'string', arg: 'F', check: 'number', help: 'noise σ as a fraction of the image range (default 0.15)' },
    'clip-noisy': { type: 'boolean', help: 'clip x + noise to [0,1] before the model' }
  },
  attack: {
    eps: { type: 'string', arg: 'E', check: 'number', help: 'radius of the ball, [0,1] pixel units; fractions such as 8/255 allowed (default l2: 0.5, linf: 8/255)' },
    step: { type: 'string', arg: 'S', check: 'number', help: 'step size (default 2.5·ε/steps)' },
    steps: { type: 'string', arg: 'N', check: 'int', help: 'number of steps (default 20)' },
    'keep-iterates': keepIterates,
    threat: { type: 'string', arg: 'l2|linf', check: ['l2', 'linf'], help: 'threat model (default l2)' },
    target: { type: 'string', arg: 'NAME|K', check: 'class', help: 'targeted attack toward this class, by name or index (default: untargeted)' },
    'true-class': { type: 'string', arg: 'NAME|K', check: 'class', help: 'true class for an untargeted attack, by name or index (default: top-1 prediction)' },
    'random-start': { type: 'boolean', help: 'start at a random point of the ball (robustness library semantics)' },
    restarts: { type: 'string', arg: 'N', check: 'int', help: 'random restarts (default 0)' },
    'use-best': { type: 'boolean', help: 'keep the best iterate per image instead of the last' }
  },
  visualize: {
    eps: { type: 'string', arg: 'E', check: 'number', help: 'radius of the constraint ball around the start (default 1000: effectively none)' },
    step: { type: 'string', arg: 'S', check: 'number', help: 'step size (default 1)' },
    steps: { type: 'string', arg: 'N', check: 'int', help: 'number of steps (default 200)' },
    'keep-iterates': keepIterates,
    feature: { type: 'string', arg: 'K', check: 'int', help: 'representation coordinate to maximize (required)' },
    'fake-relu': { type: 'boolean', help: 'last ReLU is the identity in the backward pass' },
    start: { type: 'string', arg: 'image|gray|noise', check: ['image', 'gray', 'noise'], help: 'starting point (default: image when inputs are given, else gray)' },
    'noise-sigma': { type: 'string', arg: 'F', check: 'number', help: 'σ of the noise start, clamp(0.5 + σn) (default 0.05)' },
    count: { type: 'string', arg: 'N', check: 'int', help: 'images to optimize when starting from gray/noise without inputs (default 1)' }
  },
  activations: {
    features: { type: 'string', arg: 'K,K,…', check: 'ints', help: 'representation coordinates (default: all)' },
    top: { type: 'string', arg: 'K', check: 'int', help: 'list the K most and least activating images per coordinate (default 5)' }
  },
  evaluate: {
    data: { type: 'string', arg: 'DIR|FILE.tar.gz', help: 'class folders (named by class name or index), or a .tar.gz of them (required)' },
    limit: { type: 'string', arg: 'N', check: 'int', help: 'use at most N images (evenly over classes, in file order)' },
    threat: { type: 'string', arg: 'l2|linf', check: ['l2', 'linf'], help: 'threat model (default l2)' },
    'eps-list': { type: 'string', arg: 'E,E,…', check: 'numbers', help: 'radii (default l2: 0,0.25,0.5,1; linf: 0,2/255,4/255,8/255)' },
    steps: { type: 'string', arg: 'N', check: 'int', help: 'PGD steps (default 20)' },
    'step-factor': { type: 'string', arg: 'F', check: 'number', help: 'step = F·ε/steps (default 2.5)' },
    'random-start': { type: 'boolean', help: 'random start' },
    'minimal-eps': { type: 'boolean', help: 'also find each image\'s smallest flipping ε by bisection' },
    'batch-size': { type: 'string', arg: 'N', check: 'int', help: 'images per engine job (default 100)' }
  },
  bench: {
    soak: { type: 'string', arg: 'N', check: 'int', help: 'also run N consecutive small jobs and report tensor/heap growth' },
    quick: { type: 'boolean', help: 'fewer repetitions (a smoke run, numbers are noisier)' },
    width: { type: 'string', arg: 'W', check: 'int', help: 'width of the random CIFAR ResNet-18 benched besides the models found (default 64; 0 = none)' },
    'no-torch': { type: 'boolean', help: 'skip the PyTorch reference timing (scripts/torch_gradient_bench.py)' },
    'pgd-parity': { type: 'string', arg: 'DIR', help: 'instead: the same PGD-20 on ONNX Runtime and wasm over the first --limit (500) images of class folders DIR, per image' },
    limit: { type: 'string', arg: 'N', check: 'int', help: 'images for --pgd-parity (default 500)' }
  },
  models: {}
}

const summaries: Record<Command, string> = {
  predict: 'top-k class probabilities',
  saliency: 'gradient saliency maps (loss or class-score gradient; SmoothGrad, SmoothGrad², VarGrad)',
  attack: 'PGD adversarial examples (L2 / L∞, targeted or not) with per-step telemetry',
  visualize: 'feature visualization: maximize one representation coordinate',
  activations: 'representation coordinates over a set of images (top- and bottom-k)',
  evaluate: 'accuracy under PGD for a list of ε over labelled class folders or a .tar.gz',
  bench: 'speed and memory benchmark; prints one JSON object',
  models: 'list the models found in --models-dir'
}

export interface ParsedArgs {
  command: Command
  values: Record<string, string | boolean | string[] | undefined>
  positionals: string[]
}

export function isCommand(value: string): value is Command {
  return (COMMANDS as readonly string[]).includes(value)
}

function optionLines(options: Record<string, OptionSpec>): string[] {
  return Object.entries(options).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.arg ? ` ${o.arg}` : ''}`
    return `  ${flag.padEnd(34)} ${o.help}`
  })
}

export function usage(command?: Command): string {
  if (command) {
    return [
      `usage: npm run lab -- ${command} [options] ${command === 'bench' || command === 'models' || command === 'evaluate' ? '' : '[IMAGE|DIR …]'}`.trimEnd(),
      '',
      summaries[command],
      '',
      ...(Object.keys(commandOptions[command]).length ? [`${command} options:`, ...optionLines(commandOptions[command]), ''] : []),
      'common options:',
      ...optionLines(common)
    ].join('\n')
  }
  return [
    'usage: npm run lab -- <command> [options] [IMAGE|DIR …]',
    '',
    'commands:',
    ...COMMANDS.map((c) => `  ${c.padEnd(12)} ${summaries[c]}`),
    '',
    'npm run lab -- <command> --help shows the options of a command. Full reference: docs/cli.md'
  ].join('\n')
}

export function parseCommandLine(argv: string[]): ParsedArgs | { help: true; command?: Command } {
  const [first, ...rest] = argv
  if (first === undefined) throw new UsageError('no command given')
  if (first === '--help' || first === '-h' || first === 'help') return { help: true }
  if (!isCommand(first)) throw new UsageError(`unknown command '${first}'`)
  const options = { ...common, ...commandOptions[first] }
  let parsed: ReturnType<typeof parseArgs>
  try {
    parsed = parseArgs({ args: rest, options: Object.fromEntries(Object.entries(options).map(([k, { help: _h, arg: _a, check: _c, ...o }]) => [k, o])), allowPositionals: true, strict: true })
  } catch (e) {
    throw new UsageError((e as Error).message)
  }
  if (parsed.values.help) return { help: true, command: first }
  const values = parsed.values as ParsedArgs['values']
  checkValues(values, options)
  return { command: first, values, positionals: parsed.positionals }
}

// ───────────────────────────── typed accessors ─────────────────────────────

/** A number, or a fraction like 8/255. */
export function parseNumber(name: string, text: string): number {
  const fraction = /^\s*([-+]?[\d.]+(?:e[-+]?\d+)?)\s*\/\s*([\d.]+(?:e[-+]?\d+)?)\s*$/i.exec(text)
  const value = fraction ? Number(fraction[1]) / Number(fraction[2]) : text.trim() === '' ? NaN : Number(text)
  if (!Number.isFinite(value)) throw new UsageError(`--${name}: '${text}' is not a number`)
  return value
}

/** Syntax of every given option (numbers, integers, lists, choices), so a typo fails before any work starts. */
function checkValues(values: ParsedArgs['values'], options: Record<string, OptionSpec>): void {
  const o = new Options(values)
  for (const [name, spec] of Object.entries(options)) {
    if (values[name] === undefined || spec.check === undefined) continue
    if (spec.check === 'int') o.int(name)
    else if (spec.check === 'number') o.number(name)
    else if (spec.check === 'ints') o.intList(name)
    else if (spec.check === 'numbers') o.numberList(name)
    else if (spec.check === 'class') o.classSyntax(name)
    else o.choice(name, spec.check)
  }
}

export class Options {
  constructor(private readonly values: ParsedArgs['values']) {}

  string(name: string): string | undefined {
    const v = this.values[name]
    return typeof v === 'string' ? v : undefined
  }

  strings(name: string): string[] {
    const v = this.values[name]
    return Array.isArray(v) ? v : typeof v === 'string' ? [v] : []
  }

  flag(name: string): boolean {
    return this.values[name] === true
  }

  number(name: string): number | undefined
  number(name: string, fallback: number): number
  number(name: string, fallback?: number): number | undefined {
    const text = this.string(name)
    return text === undefined ? fallback : parseNumber(name, text)
  }

  int(name: string): number | undefined
  int(name: string, fallback: number): number
  int(name: string, fallback?: number): number | undefined {
    const text = this.string(name)
    if (text === undefined) return fallback
    if (!/^\s*\d+\s*$/.test(text)) throw new UsageError(`--${name}: '${text}' is not a non-negative integer`)
    return Number(text)
  }

  /** A class by name or index: only its syntax here; Context.classIndex resolves it against the models. */
  classSyntax(name: string): string | undefined {
    const text = this.string(name)?.trim()
    if (text === '') throw new UsageError(`--${name}: empty class`)
    return text
  }

  numberList(name: string): number[] | undefined {
    const text = this.string(name)
    if (text === undefined) return undefined
    const parts = text.split(',').map((s) => s.trim())
    if (parts.some((p) => p === '')) throw new UsageError(`--${name}: empty entry in '${text}'`)
    return parts.map((p) => parseNumber(name, p))
  }

  intList(name: string): number[] | undefined {
    const list = this.numberList(name)
    if (list?.some((v) => !Number.isInteger(v) || v < 0)) throw new UsageError(`--${name}: expected non-negative integers`)
    return list
  }

  choice<T extends string>(name: string, allowed: readonly T[], fallback: T): T
  choice<T extends string>(name: string, allowed: readonly T[]): T | undefined
  choice<T extends string>(name: string, allowed: readonly T[], fallback?: T): T | undefined {
    const text = this.string(name)
    if (text === undefined) return fallback
    if (!(allowed as readonly string[]).includes(text)) throw new UsageError(`--${name}: '${text}' is not one of ${allowed.join(', ')}`)
    return text as T
  }
}
