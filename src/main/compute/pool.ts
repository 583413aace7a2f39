/**
 * Main's client of the compute workers: a fixed-size pool of long-lived worker_threads, a FIFO queue of engine jobs,
 * cancellation, and replacement of crashed workers. Workers come from a factory so tests can inject scripts that
 * crash, hang or fake the engine; the app passes the electron-vite `?nodeWorker` factory.
 */
import type { Worker } from 'node:worker_threads'
import { CancelledError, type BackendName, type EngineJob } from '../engine/api'
import type { SmoothGradPartial } from '../engine/saliency/partials'
import type { JobProgress, MethodResult, ModelRunInfo, Predictions } from '../../shared/jobs'
import { WORKER_ID, type MainToWorker, type SampleRange, type WorkerToMain } from './protocol'

export type WorkerFactory = () => Worker

export interface PoolOptions {
  size: number
  modelsDir: string
  backends?: BackendName[]
  /** wasm threads per worker (default 1); see layout.ts. */
  wasmThreads?: number
  /** A cancelled job's worker that has not answered within this time is terminated and replaced. */
  cancelGraceMs?: number
  /**
   * A worker asked to stop (shutdown message) that has not exited within this time is terminated. Terminating at once
   * could tear a thread down inside an ONNX Runtime call, which aborts the whole process (protocol.ts).
   */
  shutdownGraceMs?: number
  /** Consecutive workers that die before `ready` before the pool gives up (instead of respawning forever). */
  maxStartFailures?: number
  log?: (message: string) => void
}

export interface RunOptions {
  signal?: AbortSignal
  onProgress?: (progress: JobProgress) => void
}

export interface EngineOutput {
  result: MethodResult
  run: ModelRunInfo
}

/** One sample range of a split SmoothGrad job (see split.ts). */
export interface PartialOutput {
  partial: SmoothGradPartial
  run: ModelRunInfo
  predictions?: Predictions
}

export interface PoolStats {
  workers: number
  ready: number
  busy: number
  queued: number
  /** Workers replaced after a crash or a cancel that was not answered. */
  replaced: number
}

export interface ComputePool {
  /** The number of workers the pool keeps (after resize, once busy workers have finished). */
  readonly size: number
  /** wasm threads per worker (workers started before a change keep theirs until they are replaced). */
  readonly threads: number
  /**
   * Grow at once; shrink by retiring idle workers now and busy ones when their job ends. A new thread count
   * replaces idle workers now and busy ones when their job ends (a worker's wasm threads are fixed at its start).
   */
  resize(size: number, threads?: number): void
  /**
   * The backend the latest ready worker of the current configuration picked (waits for one); rejects when no worker
   * can start.
   */
  backend(): Promise<string>
  /** What that worker's engine reported about backends that failed their start-up check (shown to the user). */
  backendNotices(): string[]
  /**
   * The backend order for new workers (undefined = the engine's default). Idle workers started with another order
   * are replaced now, busy ones when their job ends.
   */
  setBackends(backends: BackendName[] | undefined): void
  run(job: EngineJob, options?: RunOptions): Promise<EngineOutput>
  /** SmoothGrad partial sums over samples `range` of a saliency job (queued like `run`; cancel and crash alike). */
  runPartial(job: EngineJob, range: SampleRange, options?: RunOptions & { predictions?: boolean }): Promise<PartialOutput>
  stats(): PoolStats
  terminate(): Promise<void>
}

/** What a task asks of a worker: a whole job, or a sample range of a SmoothGrad job. */
type TaskWork = { type: 'run'; job: EngineJob } | { type: 'partial'; job: EngineJob; range: SampleRange; predictions: boolean }
type TaskOutput = { type: 'run'; out: EngineOutput } | { type: 'partial'; out: PartialOutput }

interface Task {
  id: number
  work: TaskWork
  options: RunOptions
  settled: boolean
  resolve(out: TaskOutput): void
  reject(error: Error): void
  detach(): void
}

interface Slot {
  worker: Worker
  threads: number
  /** The backend order it was started with (backendsKey). */
  backends: string
  alive: boolean
  /** Set by the worker's exit event (a stop then has nothing to wait for). */
  exited: boolean
  ready: boolean
  task: Task | null
  /** Set while a cancelled task still occupies the worker; fires the replacement if it never answers. */
  cancelTimer: ReturnType<typeof setTimeout> | null
}

export function createPool(factory: WorkerFactory, options: PoolOptions): ComputePool {
  let size = Math.max(1, Math.floor(options.size))
  let threads = Math.max(1, Math.floor(options.wasmThreads ?? 1))
  let backends = options.backends
  const backendsKey = (order: BackendName[] | undefined): string => (order ? order.join(',') : '')
  const cancelGraceMs = options.cancelGraceMs ?? 10_000
  const shutdownGraceMs = options.shutdownGraceMs ?? 15_000
  const maxStartFailures = options.maxStartFailures ?? 3
  const log = options.log ?? (() => {})
  const slots: Slot[] = []
  const queue: Task[] = []
  let nextId = 1
  let replaced = 0
  let startFailures = 0
  let terminated = false
  let fatal: Error | null = null

  /** The backend of the latest ready worker of the current configuration, and callers waiting for one. */
  let readyBackend: { name: string; notices: string[] } | null = null
  let backendWaiters: { resolve(name: string): void; reject(error: Error): void }[] = []

  function settle(task: Task, outcome: { out: TaskOutput } | { error: Error }): void {
    if (task.settled) return
    task.settled = true
    task.detach()
    if ('out' in outcome) task.resolve(outcome.out)
    else task.reject(outcome.error)
  }

  function post(slot: Slot, message: MainToWorker, transfer: ArrayBuffer[] = []): void {
    slot.worker.postMessage(message, transfer)
  }

  function spawn(): void {
    const worker = factory()
    const slot: Slot = { worker, threads, backends: backendsKey(backends), alive: true, exited: false, ready: false, task: null, cancelTimer: null }
    slots.push(slot)
    worker.on('message', (message: WorkerToMain) => onMessage(slot, message))
    worker.on('error', (error: Error) => onCrash(slot, error.message))
    worker.on('exit', (code: number) => {
      slot.exited = true
      onCrash(slot, `exited with code ${code}`)
    })
    post(slot, { id: WORKER_ID, type: 'init', modelsDir: options.modelsDir, backends, wasmThreads: threads })
  }

  /** Started with another thread count or backend order than the pool's now (replaced as soon as it is idle). */
  function stale(slot: Slot): boolean {
    return slot.threads !== threads || slot.backends !== backendsKey(backends)
  }

  /** Workers of the current configuration. */
  function current(): number {
    return slots.filter((s) => !stale(s)).length
  }

  /** Retire idle workers with an old thread count or beyond the size; start workers up to the size. */
  function rebalance(): void {
    if (terminated || fatal) return
    for (const slot of [...slots]) {
      if (slot.task) continue // retired when its job ends
      if (stale(slot) || current() > size) {
        retire(slot)
        void stop(slot) // it may still be starting its engine: never terminate it mid-start
      }
    }
    while (current() < size) spawn()
    dispatch()
  }

  /**
   * Ask a retired worker to stop and resolve when it has exited: it cancels its jobs and exits once its engine's start
   * and jobs have settled; one that does not within shutdownGraceMs is terminated.
   */
  function stop(slot: Slot): Promise<void> {
    if (slot.exited) return Promise.resolve()
    let timer: ReturnType<typeof setTimeout> | undefined
    const exited = new Promise<void>((resolve) => slot.worker.once('exit', () => resolve()))
    const forced = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        log(`compute worker did not stop within ${shutdownGraceMs} ms; terminating it`)
        void slot.worker.terminate().finally(resolve)
      }, shutdownGraceMs)
    })
    post(slot, { id: WORKER_ID, type: 'shutdown' })
    return Promise.race([exited, forced]).finally(() => clearTimeout(timer))
  }

  function retire(slot: Slot): void {
    slot.alive = false
    if (slot.cancelTimer) clearTimeout(slot.cancelTimer)
    const index = slots.indexOf(slot)
    if (index >= 0) slots.splice(index, 1)
  }

  function failEverything(error: Error): void {
    fatal = error
    for (const waiter of backendWaiters.splice(0)) waiter.reject(error)
    for (const task of queue.splice(0)) settle(task, { error })
  }

  function onMessage(slot: Slot, message: WorkerToMain): void {
    if (!slot.alive) return
    if (message.id === WORKER_ID) {
      if (message.type === 'ready') {
        slot.ready = true
        startFailures = 0
        if (!stale(slot)) {
          readyBackend = { name: message.backend, notices: message.notices ?? [] }
          for (const notice of readyBackend.notices) log(notice)
          for (const waiter of backendWaiters.splice(0)) waiter.resolve(message.backend)
        }
        dispatch()
      } else if (message.type === 'error') {
        // the engine cannot start in this worker (no backend, unreadable models dir): the same will happen in a
        // fresh one, so stop instead of respawning
        log(message.message)
        retire(slot)
        void stop(slot)
        if (!slots.some((s) => s.ready)) failEverything(new Error(message.message))
      }
      return
    }
    const task = slot.task
    if (!task || task.id !== message.id) return // a late message of a task already given up
    switch (message.type) {
      case 'progress':
        if (!task.settled) task.options.onProgress?.(message.progress)
        return
      case 'result':
        settle(task, { out: { type: 'run', out: { result: message.result, run: message.run } } })
        break
      case 'partial-result':
        settle(task, { out: { type: 'partial', out: { partial: message.partial, run: message.run, predictions: message.predictions } } })
        break
      case 'error':
        settle(task, { error: message.cancelled ? new CancelledError() : new Error(message.message) })
        break
      default:
        return
    }
    slot.task = null
    if (slot.cancelTimer) clearTimeout(slot.cancelTimer)
    slot.cancelTimer = null
    if (stale(slot) || current() > size) {
      retire(slot) // the pool was shrunk or given another thread count or backend order while this worker was busy
      void stop(slot)
      rebalance()
    }
    dispatch()
  }

  function onCrash(slot: Slot, reason: string): void {
    if (!slot.alive) return // already handled (error is followed by exit) or terminated on purpose
    const wasReady = slot.ready
    retire(slot)
    if (slot.task) settle(slot.task, { error: new Error(`compute worker crashed: ${reason}`) })
    if (terminated) return
    log(`compute worker crashed (${reason}); starting a replacement`)
    replaced++
    if (!wasReady && ++startFailures >= maxStartFailures) {
      // stop respawning; the pool carries on with the workers it has, if any
      if (!slots.some((s) => s.ready)) failEverything(new Error(`compute workers keep crashing at start: ${reason}`))
      return
    }
    if (current() < size) spawn()
    dispatch()
  }

  function dispatch(): void {
    for (const slot of slots) {
      if (!slot.alive || !slot.ready || slot.task || queue.length === 0) continue
      const task = queue.shift()!
      slot.task = task
      // a copy per task: twin runs share the caller's pixels, and transferring detaches the buffer
      const { work } = task
      const data = work.job.images.data.slice()
      const job: EngineJob = { ...work.job, images: { data, shape: work.job.images.shape } }
      const message: MainToWorker =
        work.type === 'run' ? { id: task.id, type: 'run', job } : { id: task.id, type: 'partial', job, range: work.range, predictions: work.predictions }
      post(slot, message, [data.buffer])
    }
  }

  function cancel(task: Task): void {
    if (task.settled) return
    const queued = queue.indexOf(task)
    if (queued >= 0) queue.splice(queued, 1)
    settle(task, { error: new CancelledError() })
    const slot = slots.find((s) => s.task === task)
    if (!slot) return
    // the worker stays busy until it answers; one that never does is replaced
    post(slot, { id: task.id, type: 'cancel' })
    slot.cancelTimer = setTimeout(() => {
      if (!slot.alive || slot.task !== task) return
      log(`compute worker did not stop job ${task.id} within ${cancelGraceMs} ms; replacing it`)
      retire(slot)
      replaced++
      void slot.worker.terminate()
      if (!terminated) {
        if (current() < size) spawn()
        dispatch()
      }
    }, cancelGraceMs)
  }

  function submit(work: TaskWork, runOptions: RunOptions): Promise<TaskOutput> {
    if (terminated) return Promise.reject(new Error('compute pool is shut down'))
    if (fatal) return Promise.reject(fatal)
    if (runOptions.signal?.aborted) return Promise.reject(new CancelledError())
    return new Promise<TaskOutput>((resolve, reject) => {
      const onAbort = (): void => cancel(task)
      const task: Task = {
        id: nextId++,
        work,
        options: runOptions,
        settled: false,
        resolve,
        reject,
        detach: () => runOptions.signal?.removeEventListener('abort', onAbort)
      }
      runOptions.signal?.addEventListener('abort', onAbort, { once: true })
      queue.push(task)
      dispatch()
    })
  }

  for (let i = 0; i < size; i++) spawn()

  return {
    get size() {
      return size
    },
    get threads() {
      return threads
    },
    resize(next, nextThreads) {
      size = Math.max(1, Math.floor(next))
      if (nextThreads !== undefined) threads = Math.max(1, Math.floor(nextThreads))
      rebalance()
    },
    backend: () => {
      if (fatal) return Promise.reject(fatal)
      if (readyBackend) return Promise.resolve(readyBackend.name)
      return new Promise<string>((resolve, reject) => backendWaiters.push({ resolve, reject }))
    },
    backendNotices: () => readyBackend?.notices ?? [],
    setBackends(next) {
      if (backendsKey(next) === backendsKey(backends)) return
      backends = next
      readyBackend = null // backend() waits for a worker with the new order
      rebalance()
    },
    run: (job, runOptions = {}) =>
      submit({ type: 'run', job }, runOptions).then((o) => {
        if (o.type !== 'run') throw new Error(`compute worker answered a job with ${o.type}`)
        return o.out
      }),
    runPartial: (job, range, { predictions = false, ...runOptions } = {}) =>
      submit({ type: 'partial', job, range, predictions }, runOptions).then((o) => {
        if (o.type !== 'partial') throw new Error(`compute worker answered SmoothGrad samples with ${o.type}`)
        return o.out
      }),
    stats: () => ({
      workers: slots.length,
      ready: slots.filter((s) => s.ready).length,
      busy: slots.filter((s) => s.task).length,
      queued: queue.length,
      replaced
    }),
    async terminate() {
      terminated = true
      const error = new Error('compute pool is shut down')
      failEverything(error)
      const all = slots.splice(0)
      for (const slot of all) {
        slot.alive = false
        if (slot.cancelTimer) clearTimeout(slot.cancelTimer)
        if (slot.task) settle(slot.task, { error })
      }
      await Promise.all(all.map(stop))
    }
  }
}
