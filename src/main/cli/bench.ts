/**
 * `npm run bench`: one JSON object on stdout with, per model (every model in resources/models plus a random-weight
 * CIFAR ResNet-18 of width 64, `--width`): forward and input-gradient ms at batch 1 and 16 on the TF.js fast path and
 * through plain tf.grad of the unfused reference network (issue 3), and, side by side for every compute backend
 * (bench-backends.ts: ONNX Runtime, wasm, the native TF.js bindings when installed; `--backend` picks one), the
 * gradient through the model seam, SmoothGrad N=50, PGD 20 steps and feature visualization 200 steps on the worker
 * pool, peak memory, and ratios to PyTorch timed in the same run; `--soak N` adds N consecutive small jobs with tensor
 * and heap growth. Issue 3's and issue 12's targets are reported as pass/fail fields, never asserted.
 *
 * Timings are medians after a warm-up. The in-process part runs on this thread (one wasm thread); the pool part on the
 * app's automatic layout of workers × threads for each backend (compute/layout.ts: on 2 cores 1 × 2 for wasm, 2 × 1 for
 * ONNX Runtime), or `--workers` / `--threads`.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import v8 from 'node:v8'
import vm from 'node:vm'
import * as tf from '@tensorflow/tfjs'
import type { ImageBatch } from '../../shared/images'
import { JobRequestSchema, type JobRequestInput, type MethodParams, type SaliencyResult } from '../../shared/jobs'
import type { ModelInfo } from '../../shared/model-format'
import { listModels } from '../catalog'
import { computeLayout, describeLayout } from '../compute/layout'
import { TfjsClassifier, tfjsFactory } from '../engine/backends/tfjs/index'
import { objectiveGradient } from '../engine/backends/tfjs/objective'
import { selectBackend, type TfjsBackendName } from '../engine/backends/tfjs/runtime'
import type { BackendName } from '../engine/backends/index'
import { LoadedModel } from '../engine/models/load'
import { writeRandomModel } from '../engine/models/random'
import { Rng } from '../engine/rng'
import type { Context } from './context'
import type { Runner, RunnerOutput } from './runner'
import { projectRootOf } from '../paths'
import { pgdParity } from './bench-parity'
import { benchBackends, classifierTimings, factoryOf, machineScaledTargets, ORT_TARGETS, torchRatios, torchTimings, type GradientTimings, type TorchTimings } from './bench-backends'

/** Issue 3's targets (2-core machine, CIFAR ResNet-18 width 64, wasm). */
export const TARGETS = {
  gradientForwardRatio: 2.5,
  speedupOverPlainGrad: 4,
  smoothGrad50TwoCoresMs: 2000,
  pgd20TwoCoresMs: 1500
}

interface Timing {
  medianMs: number
  minMs: number
  /** Median CPU time of the whole process over the same runs: less sensitive to other load than wall time. */
  cpuMedianMs?: number
  runs: number
}

const round = (v: number, digits = 2): number => Math.round(v * 10 ** digits) / 10 ** digits

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

function timingOf(samples: number[], cpu?: number[]): Timing {
  return { medianMs: round(median(samples)), minMs: round(Math.min(...samples)), ...(cpu ? { cpuMedianMs: round(median(cpu)) } : {}), runs: samples.length }
}

async function timeIt(runs: number, body: () => void | Promise<void>): Promise<Timing> {
  const samples: number[] = []
  const cpu: number[] = []
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage()
    const t0 = performance.now()
    await body()
    samples.push(performance.now() - t0)
    const c = process.cpuUsage(c0)
    cpu.push((c.user + c.system) / 1000)
  }
  return timingOf(samples, cpu)
}

/** The wasm heap of this thread's backend, when the backend is wasm. */
function wasmHeapBytes(): number | null {
  try {
    const backend = tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } }
    return backend.wasm?.HEAPU8?.length ?? null
  } catch {
    return null // no backend initialised yet
  }
}

/** Peak RSS (this process, all worker threads included) and wasm heap of this thread, sampled every 50 ms. */
class MemoryPeak {
  rss = process.memoryUsage().rss
  wasm = wasmHeapBytes() ?? 0
  private readonly timer = setInterval(() => this.sample(), 50)
  sample(): void {
    this.rss = Math.max(this.rss, process.memoryUsage().rss)
    this.wasm = Math.max(this.wasm, wasmHeapBytes() ?? 0)
  }
  stop(): { peakRssMB: number; peakWasmHeapMB: number | null } {
    clearInterval(this.timer)
    this.sample()
    return { peakRssMB: round(this.rss / 2 ** 20, 1), peakWasmHeapMB: this.wasm ? round(this.wasm / 2 ** 20, 1) : null }
  }
}

/** The app's validation of a job (JobRequestSchema) for one model. */
function validated(modelId: string, images: ImageBatch, params: JobRequestInput['params']): MethodParams {
  return JobRequestSchema.parse({ models: [modelId], images, params }).params
}

function randomImages(n: number, height: number, width: number, seed: number): ImageBatch {
  return { data: new Rng(seed).uniformArray(n * height * width * 3, 0.02, 0.98), shape: [n, height, width, 3] }
}

/** Forward / gradient timings on this thread, fast path vs plain tf.grad of the reference network. */
async function inProcessTimings(model: LoadedModel, quick: boolean) {
  const { height, width } = model.spec.input
  if (!(model.classifier instanceof TfjsClassifier)) throw new Error('the in-process timings compare TF.js paths')
  const net = model.classifier.net
  const forward = (x: tf.Tensor4D, reference: boolean) => () => {
    tf.tidy(() => {
      net.forward(x, { reference }).logits.dataSync()
    })
  }
  const gradient = (x: tf.Tensor4D, reference: boolean) => () => {
    tf.tidy(() => {
      objectiveGradient(net, x, { kind: 'logit', indices: new Array<number>(x.shape[0]).fill(3) }, reference).grad.dataSync()
    })
  }
  const out: Record<string, unknown> = {}
  const before = tf.memory().numTensors
  for (const batch of [1, 16]) {
    const x = tf.tensor4d(randomImages(batch, height, width, batch).data, [batch, height, width, 3])
    try {
      const reps = quick ? 2 : batch === 1 ? 7 : 3
      forward(x, false)() // warm-up at this batch size
      gradient(x, false)()
      const fwd = await timeIt(reps, forward(x, false))
      const grad = await timeIt(reps, gradient(x, false))
      // plain tf.grad: the slow Conv2DBackpropInput path; batch 16 costs seconds per run, so fewer runs
      const plainReps = quick ? 1 : batch === 1 ? 3 : 1
      gradient(x, true)()
      const plainFwd = await timeIt(plainReps, forward(x, true))
      const plainGrad = await timeIt(plainReps, gradient(x, true))
      let relErr: number | null = null
      if (batch === 1) {
        const [fast, plain] = tf.tidy(() => {
          const obj = { kind: 'logit' as const, indices: [3] }
          return [objectiveGradient(net, x, obj).grad.dataSync(), objectiveGradient(net, x, obj, true).grad.dataSync()]
        })
        let diff = 0
        let scale = 0
        for (let i = 0; i < plain.length; i++) {
          diff = Math.max(diff, Math.abs(fast[i] - plain[i]))
          scale = Math.max(scale, Math.abs(plain[i]))
        }
        relErr = scale > 0 ? diff / scale : diff
      }
      out[`batch${batch}`] = {
        forward: fwd,
        gradient: grad,
        gradientForwardRatio: round(grad.medianMs / fwd.medianMs, 3),
        // the same ratio from CPU time: steadier than wall time when other processes share the cores
        gradientForwardRatioCpu: round(grad.cpuMedianMs! / fwd.cpuMedianMs!, 3),
        gradientMsPerImage: round(grad.medianMs / batch),
        plainTfGrad: { forward: plainFwd, gradient: plainGrad, gradientForwardRatio: round(plainGrad.medianMs / plainFwd.medianMs, 3) },
        speedupOverPlainGrad: round(plainGrad.medianMs / grad.medianMs, 3),
        speedupOverPlainGradCpu: round(plainGrad.cpuMedianMs! / grad.cpuMedianMs!, 3),
        ...(relErr !== null ? { maxRelativeErrorVsPlain: relErr } : {})
      }
    } finally {
      x.dispose()
    }
  }
  out.tensorsLeaked = tf.memory().numTensors - before
  return out
}

interface Wall {
  wallMs: number
  /** CPU time of the whole process (all worker threads) meanwhile: the work done, whatever else loads the machine. */
  cpuMs: number
}

/** Run the jobs at once on a pool (one after the other in process) and time the wall clock and the CPU. */
async function wall(runner: Runner, jobs: { modelId: string; images: ImageBatch; params: MethodParams }[]): Promise<Wall> {
  const c0 = process.cpuUsage()
  const t0 = performance.now()
  if (runner.workers > 0) await Promise.all(jobs.map((j) => runner.run(j)))
  else for (const j of jobs) await runner.run(j)
  const c = process.cpuUsage(c0)
  return { wallMs: round(performance.now() - t0), cpuMs: round((c.user + c.system) / 1000) }
}

/** One job, timed (wall clock and the CPU of the whole process). */
async function timedRun(body: () => Promise<RunnerOutput>): Promise<{ wall: Wall; out: RunnerOutput }> {
  const c0 = process.cpuUsage()
  const t0 = performance.now()
  const out = await body()
  const c = process.cpuUsage(c0)
  return { wall: { wallMs: round(performance.now() - t0), cpuMs: round((c.user + c.system) / 1000) }, out }
}

/** max |a − b| / max |b|. */
function maxRelativeDifference(a: Float32Array, b: Float32Array): number {
  let diff = 0
  let scale = 0
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]))
    scale = Math.max(scale, Math.abs(b[i]))
  }
  return scale > 0 ? diff / scale : diff
}

async function poolTimings(runner: Runner, info: ModelInfo, quick: boolean) {
  const { height, width } = info.input
  const one = randomImages(1, height, width, 7)
  const modelId = info.id
  const validate = (params: JobRequestInput['params']): MethodParams => validated(modelId, one, params)
  const workers = Math.max(1, runner.workers)
  const out: Record<string, unknown> = {}
  const attempt = async (name: string, body: () => Promise<unknown>): Promise<void> => {
    try {
      out[name] = await body()
    } catch (e) {
      out[name] = { error: (e as Error).message }
    }
  }
  // load the model (and its warm-up gradient) on every worker before timing
  await wall(runner, Array.from({ length: workers }, () => ({ modelId, images: one, params: validate({ method: 'predict' }) })))

  const N = 50
  const smooth = validate({ method: 'saliency', gradient: 'loss', classIndex: null, smoothing: { kind: 'smoothgrad', samples: N, sigma: 0.15 }, seed: 0 })
  await attempt('smoothGrad50', async () => {
    // one N = 50 job; on a pool the runner spreads its samples over the idle workers (compute/split.ts), as the app does
    const job = { modelId, images: one, params: smooth }
    const runs: { wall: Wall; out: RunnerOutput }[] = []
    for (let i = 0; i < (quick ? 1 : 3); i++) runs.push(await timedRun(() => runner.run(job)))
    const last = runs.at(-1)!.out
    // the same job kept on one worker: the time a split saves, and the split's difference from it (addition order only)
    const whole = quick || workers < 2 ? null : await timedRun(() => runner.run(job, { split: false }))
    const maps = (out: RunnerOutput) => (out.result as SaliencyResult).maps
    return {
      workers,
      split: !!last.ranges,
      samplesPerWorker: last.ranges?.map((r) => r.end - r.start) ?? [N],
      ...timingOf(runs.map((r) => r.wall.wallMs), runs.map((r) => r.wall.cpuMs)),
      wallMs: round(median(runs.map((r) => r.wall.wallMs))),
      oneWorker: whole ? whole.wall : null,
      speedupOverOneWorker: whole ? round(whole.wall.wallMs / median(runs.map((r) => r.wall.wallMs)), 3) : null,
      maxRelativeDifferenceVsOneWorker: whole ? maxRelativeDifference(maps(last), maps(whole.out)) : null,
      sigmaAbsolute: (last.result as SaliencyResult).sigmaAbsolute[0]
    }
  })

  const pgd = (seed: number) =>
    validate({ method: 'attack', threat: 'l2', eps: 0.5, stepSize: (2.5 * 0.5) / 20, steps: 20, targeted: false, targetClass: null, trueClass: null, randomStart: false, restarts: 0, useBest: false, keepIterates: 0, seed })
  await attempt('pgd20', async () => {
    const single: Wall[] = []
    for (let i = 0; i < (quick ? 1 : 3); i++) single.push(await wall(runner, [{ modelId, images: one, params: pgd(i) }]))
    // the app's twin run: two models (here the same one twice) on two workers at once
    const twin = await wall(runner, [0, 1].map((s) => ({ modelId, images: one, params: pgd(s) })))
    return { batch: 1, eps: 0.5, threat: 'l2', oneJob: timingOf(single.map((w) => w.wallMs), single.map((w) => w.cpuMs)), twinRun: twin }
  })

  await attempt('featureViz200', async () => {
    const gray: ImageBatch = { data: new Float32Array(height * width * 3).fill(0.5), shape: [1, height, width, 3] }
    const params = validated(modelId, gray, { method: 'featureViz', feature: 0, fakeRelu: true, start: 'gray', noiseSigma: 0.05, eps: 1000, stepSize: 1, steps: 200, keepIterates: 0, seed: 0 })
    return { batch: 1, steps: 200, ...(await wall(runner, [{ modelId, images: gray, params }])) }
  })
  return out
}

/** A full garbage collection, so heap readings compare like with like (works without node --expose-gc). */
function collectGarbage(): boolean {
  try {
    v8.setFlagsFromString('--expose-gc')
    const gc = vm.runInNewContext('gc') as (() => void) | undefined
    gc?.()
    return typeof gc === 'function'
  } catch {
    return false
  }
}

/** What "memory flat" allows over a soak: allocator noise, not a leak (a leak of one 32×32 image per job is 12 MB per 1000). */
export const SOAK_RSS_GROWTH_LIMIT_MB = 32

/**
 * N consecutive small jobs in process on one backend; tensors and heap before/after (after a warm-up of 10 jobs).
 * Flat = no TF.js tensor growth, no failed job and RSS growth within SOAK_RSS_GROWTH_LIMIT_MB.
 */
async function soak(modelsDir: string, info: ModelInfo, jobs: number, backend: BackendName) {
  const { createEngine } = await import('../engine/index')
  const engine = await createEngine({ modelsDir, backends: [backend] })
  const { height, width } = info.input
  const images = randomImages(1, height, width, 3)
  const kinds: JobRequestInput['params'][] = [
    { method: 'predict' },
    { method: 'saliency', gradient: 'loss', classIndex: null, smoothing: { kind: 'none' }, seed: 0 },
    { method: 'attack', threat: 'linf', eps: 8 / 255, stepSize: 2 / 255, steps: 2, targeted: false, targetClass: null, trueClass: null, randomStart: true, restarts: 0, useBest: true, keepIterates: 1, seed: 1 }
  ]
  const params = kinds.map((k) => validated(info.id, images, k))
  const failures: Record<string, string> = {}
  const runOne = async (i: number): Promise<void> => {
    const p = params[i % params.length]
    if (failures[p.method]) return
    try {
      await engine.run({ modelId: info.id, images, params: p }, { signal: new AbortController().signal, onProgress: () => {} })
    } catch (e) {
      failures[p.method] = (e as Error).message
    }
  }
  try {
    for (let i = 0; i < 10; i++) await runOne(i)
    const gcWorked = collectGarbage()
    const start = { tensors: tf.memory().numTensors, bytes: tf.memory().numBytes, wasmHeap: wasmHeapBytes(), heapUsed: process.memoryUsage().heapUsed, rss: process.memoryUsage().rss }
    const t0 = performance.now()
    for (let i = 0; i < jobs; i++) await runOne(i)
    const ms = performance.now() - t0
    collectGarbage()
    const end = { tensors: tf.memory().numTensors, bytes: tf.memory().numBytes, wasmHeap: wasmHeapBytes(), heapUsed: process.memoryUsage().heapUsed, rss: process.memoryUsage().rss }
    const mb = (v: number) => round(v / 2 ** 20, 2)
    return {
      jobs,
      backend: engine.backend,
      mix: params.map((p) => p.method),
      wallMs: round(ms),
      numTensors: { start: start.tensors, end: end.tensors, growth: end.tensors - start.tensors },
      tensorMB: { start: mb(start.bytes), end: mb(end.bytes) },
      wasmHeapMB: start.wasmHeap === null || end.wasmHeap === null ? null : { start: mb(start.wasmHeap), end: mb(end.wasmHeap), growth: mb(end.wasmHeap - start.wasmHeap) },
      jsHeapUsedMB: { start: mb(start.heapUsed), end: mb(end.heapUsed), growth: mb(end.heapUsed - start.heapUsed), fullGcBeforeReadings: gcWorked },
      rssMB: { start: mb(start.rss), end: mb(end.rss), growth: mb(end.rss - start.rss) },
      ...(Object.keys(failures).length ? { failures } : {}),
      rssGrowthLimitMB: SOAK_RSS_GROWTH_LIMIT_MB,
      pass: end.tensors === start.tensors && Object.keys(failures).length === 0 && mb(end.rss - start.rss) <= SOAK_RSS_GROWTH_LIMIT_MB
    }
  } finally {
    engine.dispose()
  }
}

export async function runBench(ctx: Context): Promise<Record<string, unknown>> {
  const quick = ctx.opts.flag('quick')
  const soakJobs = ctx.opts.int('soak')
  // the app's layout for this machine and backend unless --workers / --threads fix one (an explicit --workers 0 runs
  // in process, where this thread's wasm is already single-threaded: selectBackend below runs first)
  const fixed = { workers: ctx.opts.string('workers') === undefined ? null : ctx.workers(), threads: ctx.opts.string('threads') === undefined ? null : ctx.wasmThreads() }
  const layoutOf = (backendName: string | null): { workers: number; threads: number } => {
    const l = computeLayout(fixed, os.availableParallelism(), backendName)
    const w = fixed.workers ?? l.workers
    return { workers: w, threads: w === 0 ? 1 : l.threads }
  }
  // the TF.js backends' layout (issue 3's targets); ONNX Runtime's may differ (compute/layout.ts)
  const layout = layoutOf(null)
  const workers = layout.workers
  const ortLayout = layoutOf('onnxruntime')
  // one folder for the run: the random width-W CIFAR ResNet-18 (the targets' model; --width 0: none) and copies of the
  // models found, so one runner per backend sees them all
  const found = ctx.modelsDirOption()
  let models = await listModels(found, (m) => ctx.warn(m))
  const wanted = ctx.opts.strings('model')
  if (wanted.length) models = models.filter((m) => wanted.includes(m.id))
  const temp = mkdtempSync(join(os.tmpdir(), 'rl-bench-'))
  const modelsDir = join(temp, 'models')
  for (const m of models) cpSync(join(found, m.id), join(modelsDir, m.id), { recursive: true })
  const parityData = ctx.opts.string('pgd-parity')
  if (parityData) {
    try {
      if (models.length === 0) throw new Error(`--pgd-parity: no model in ${found}`)
      return { tool: 'robust-lens bench --pgd-parity', createdAt: new Date().toISOString(), pgdParity: await pgdParity(modelsDir, models, parityData, ctx.opts.int('limit', 500)) }
    } finally {
      rmSync(temp, { recursive: true, force: true })
    }
  }
  const width = ctx.opts.int('width', 64)
  if (width > 0 && !wanted.length) {
    await writeRandomModel(modelsDir, { id: `random-resnet18-cifar-w${width}`, width, seed: 0 })
    models = await listModels(modelsDir)
  }
  if (models.length === 0) throw new Error(`no model to bench (none in ${found}${wanted.length ? ` matching --model ${wanted.join(', ')}` : ''}, --width 0)`)
  const started = performance.now()
  // this code runs from a bundled chunk (out/main/chunks/) or from source (tests): find the project, not '../..'
  const root = projectRootOf(import.meta.dirname)
  // the in-process timings compare TF.js paths: the first TF.js backend of the requested order
  const tfjsOrder = ctx.backends()?.filter((b): b is TfjsBackendName => b !== 'onnxruntime')
  const backend = await selectBackend(tfjsOrder?.length ? tfjsOrder : undefined)
  const memory = new MemoryPeak()
  const perModel = new Map<string, Record<string, unknown>>()
  try {
    // PyTorch's time for the same gradient, at the pool's threads per worker and at one thread
    const torchThreads = [...new Set([layout.threads, 2, 1])]
    const torch = new Map<string, Record<number, TorchTimings>>()
    if (!ctx.opts.flag('no-torch')) {
      for (const info of models) torch.set(info.id, Object.fromEntries(torchThreads.map((t) => [t, torchTimings(root, join(modelsDir, info.id), t, quick)])))
    }
    for (const info of models) {
      const loadStart = performance.now()
      const model = await LoadedModel.load(join(modelsDir, info.id), tfjsFactory(backend))
      const loadMs = round(performance.now() - loadStart)
      try {
        perModel.set(info.id, { id: info.id, architecture: info.architecture, input: [info.input.height, info.input.width], loadAndWarmUpMs: loadMs, ...(await inProcessTimings(model, quick)), backends: {} })
      } finally {
        model.dispose()
      }
    }
    const backendRuns: Record<string, unknown> = {}
    for (const name of benchBackends(ctx.backends())) {
      const section = new MemoryPeak()
      const rssAtStart = process.memoryUsage().rss
      let runner: Runner | null = null
      const backendLayout = layoutOf(name)
      try {
        runner = await (await import('./runner')).createRunner({ modelsDir, workers: backendLayout.workers, backends: [name], wasmThreads: backendLayout.threads })
      } catch (e) {
        section.stop()
        backendRuns[name] = { available: false, reason: (e as Error).message }
        continue
      }
      try {
        for (const info of models) {
          const gradients: Record<string, unknown> = {}
          // through the seam in this thread: TF.js at one thread (threaded wasm is only for workers), ONNX Runtime at the
          // cores a worker may use (the TF.js layout's threads per worker), its own layout's and at one
          const threadCounts = name === 'onnxruntime' ? [...new Set([layout.threads, backendLayout.threads, 1])] : [1]
          for (const t of threadCounts) {
            const timing: GradientTimings = await classifierTimings(factoryOf(name), join(modelsDir, info.id), t, quick)
            gradients[`threads${t}`] = { ...timing, torchRatio: torchRatios(timing, torch.get(info.id)?.[t]) }
          }
          if (name !== 'onnxruntime') await selectBackend([backend]) // the in-process TF.js backend as it was
          const pool = await poolTimings(runner, info, quick)
          ;(perModel.get(info.id)!.backends as Record<string, unknown>)[name] = { gradient: gradients, pool }
        }
        const peak = section.stop()
        backendRuns[name] = { available: true, workerBackend: runner.backend, layout: describeLayout({ workers: Math.max(1, backendLayout.workers), threads: backendLayout.threads }), peakRssMB: peak.peakRssMB, peakRssGrowthMB: round((peak.peakRssMB * 2 ** 20 - rssAtStart) / 2 ** 20, 1) }
      } finally {
        section.stop()
        await runner.dispose()
      }
    }
    const out: Record<string, unknown>[] = []
    for (const info of models) {
      const m = perModel.get(info.id)!
      const b1 = m.batch1 as { gradientForwardRatio: number; speedupOverPlainGrad: number }
      const backends = m.backends as Record<string, { gradient: Record<string, GradientTimings & { torchRatio: ReturnType<typeof torchRatios> }>; pool: Record<string, unknown> }>
      // issue 3's pool targets are about the TF.js backend in use (wasm here)
      const tfjsPool = backends[backend]?.pool ?? {}
      const sg = tfjsPool.smoothGrad50 as { wallMs?: number; split?: boolean } | undefined
      const pgd = tfjsPool.pgd20 as { oneJob?: Timing; twinRun?: Wall | null } | undefined
      const isTargetModel = info.architecture.name === 'resnet18-cifar' && info.architecture.width === 64
      const coresUsed = Math.max(1, workers) * layout.threads
      const onTwoCores = coresUsed >= 2
      const ort = backends.onnxruntime
      const ortGrad = ort?.gradient[`threads${layout.threads}`]
      const ortPool = ort?.pool as { smoothGrad50?: { wallMs?: number }; pgd20?: { oneJob?: Timing; twinRun?: Wall | null }; featureViz200?: { wallMs?: number } } | undefined
      const verdict = (value: number | undefined | null, target: number) => ({ value: value ?? null, target: `≤ ${target}`, pass: value !== undefined && value !== null && onTwoCores && value <= target })
      out.push({
        ...m,
        pool: tfjsPool,
        torch: torch.get(info.id) ?? { skipped: '--no-torch' },
        targets: {
          appliesTo: 'CIFAR ResNet-18 width 64 on wasm, 2 cores (issue 3)',
          layout: describeLayout({ workers: Math.max(1, workers), threads: layout.threads }),
          thisModelIsTheTargetModel: isTargetModel,
          gradientForwardRatio: { value: b1.gradientForwardRatio, target: `≤ ${TARGETS.gradientForwardRatio}`, pass: b1.gradientForwardRatio <= TARGETS.gradientForwardRatio },
          speedupOverPlainGrad: { value: b1.speedupOverPlainGrad, target: `≥ ${TARGETS.speedupOverPlainGrad}`, pass: b1.speedupOverPlainGrad >= TARGETS.speedupOverPlainGrad },
          smoothGrad50Ms: { value: sg?.wallMs ?? null, coresUsed, splitOverWorkers: sg?.split ?? false, target: `≤ ${TARGETS.smoothGrad50TwoCoresMs} on 2 cores`, pass: sg?.wallMs !== undefined && onTwoCores && sg.wallMs <= TARGETS.smoothGrad50TwoCoresMs },
          pgd20Ms: { value: pgd?.oneJob?.medianMs ?? null, coresUsed, target: `≤ ${TARGETS.pgd20TwoCoresMs} on 2 cores`, pass: pgd?.oneJob !== undefined && onTwoCores && pgd.oneJob.medianMs <= TARGETS.pgd20TwoCoresMs },
          // the app's twin run (standard + robust at once): what a user waits for until both models have answered
          pgd20TwinRunMs: { value: pgd?.twinRun?.wallMs ?? null, coresUsed, target: `≤ ${TARGETS.pgd20TwoCoresMs} on 2 cores`, pass: !!pgd?.twinRun && pgd.twinRun.wallMs <= TARGETS.pgd20TwoCoresMs }
        },
        onnxruntimeTargets: ort
          ? {
              appliesTo: 'CIFAR ResNet-18 width 64 on ONNX Runtime, 2 cores (issue 12)',
              thisModelIsTheTargetModel: isTargetModel,
              layout: describeLayout({ workers: Math.max(1, ortLayout.workers), threads: ortLayout.threads }),
              coresUsed: Math.max(1, ortLayout.workers) * ortLayout.threads,
              batch16GradientPerImageVsTorch: verdict(ortGrad?.torchRatio?.batch16PerImage, ORT_TARGETS.batch16PerImageTorchRatio),
              pgd20Ms: verdict(ortPool?.pgd20?.oneJob?.medianMs, ORT_TARGETS.pgd20Ms),
              // no target: what the app waits for, both models of the pair at once
              pgd20TwinRunMs: ortPool?.pgd20?.twinRun?.wallMs ?? null,
              smoothGrad50Ms: verdict(ortPool?.smoothGrad50?.wallMs, ORT_TARGETS.smoothGrad50Ms),
              featureViz200Ms: verdict(ortPool?.featureViz200?.wallMs, ORT_TARGETS.featureViz200Ms),
              // the same targets at this machine's speed, measured by PyTorch in this run (2 threads: the cores the targets assume)
              scaledToThisMachine: machineScaledTargets(torch.get(info.id)?.[2]?.batch16MsPerImage, {
                pgd20Ms: ortPool?.pgd20?.oneJob?.medianMs,
                smoothGrad50Ms: ortPool?.smoothGrad50?.wallMs,
                featureViz200Ms: ortPool?.featureViz200?.wallMs
              })
            }
          : null
      })
    }
    // the soak on every benched backend that started (issue 12: memory flat on both)
    const soakResult: Record<string, unknown> | null = soakJobs ? {} : null
    if (soakResult) {
      for (const name of benchBackends(ctx.backends())) {
        if ((backendRuns[name] as { available?: boolean } | undefined)?.available) soakResult[name] = await soak(modelsDir, models[0], soakJobs!, name)
      }
    }
    return {
      tool: 'robust-lens bench',
      createdAt: new Date().toISOString(),
      backend,
      workers,
      threadsPerWorker: layout.threads,
      layout: describeLayout({ workers: Math.max(1, workers), threads: layout.threads }),
      backends: backendRuns,
      node: process.version,
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? null,
      loadAverage: os.loadavg().map((v) => round(v)),
      quick,
      modelSource: `${found} + random weights`,
      models: out,
      ...(soakResult ? { soak: soakResult } : {}),
      memory: memory.stop(),
      totalMs: round(performance.now() - started)
    }
  } finally {
    memory.stop()
    rmSync(temp, { recursive: true, force: true })
  }
}
