/**
 * The worker side of the protocol, separate from worker.ts so tests can drive it in-process over a MessageChannel
 * with a fake engine. Holds one AbortController per running job id.
 */
import { CancelledError, type Engine, type EngineOptions, type RunContext } from '../engine/api'
import { WORKER_ID, transferablesOf, type InitMessage, type MainToWorker, type PartialMessage, type RunMessage, type WorkerToMain } from './protocol'

export interface WorkerPort {
  on(event: 'message', listener: (message: MainToWorker) => void): unknown
  postMessage(message: WorkerToMain, transfer?: readonly ArrayBuffer[]): void
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error))

/**
 * `exit`: called once a `shutdown` has cancelled everything and the engine's start and every job have settled
 * (worker.ts ends the thread there; tests observe it).
 */
export function serveEngine(port: WorkerPort, createEngine: (options: EngineOptions) => Promise<Engine>, exit: () => void = () => {}): void {
  let engine: Promise<Engine> | null = null
  const controllers = new Map<number, AbortController>()
  const running = new Set<Promise<void>>()
  let shuttingDown = false

  async function shutdown(): Promise<void> {
    shuttingDown = true
    for (const controller of controllers.values()) controller.abort()
    await engine?.catch(() => {})
    while (running.size > 0) await Promise.allSettled([...running])
    exit()
  }

  /** Keeps `job` in `running` until it settles, so a shutdown waits for it. */
  function track(job: Promise<void>): void {
    running.add(job)
    void job.finally(() => running.delete(job))
  }

  /** Runs `work` under its own AbortController; a failure or cancel becomes an `error` message. */
  async function serve(id: number, work: (ready: Engine, ctx: RunContext) => Promise<void>): Promise<void> {
    const controller = new AbortController()
    controllers.set(id, controller)
    try {
      if (!engine) throw new Error('compute worker received a job before init')
      const ready = await engine
      await work(ready, { signal: controller.signal, onProgress: (progress) => port.postMessage({ id, type: 'progress', progress }) })
    } catch (error) {
      const cancelled = error instanceof CancelledError || controller.signal.aborted
      port.postMessage({ id, type: 'error', message: cancelled ? 'cancelled' : messageOf(error), cancelled })
    } finally {
      controllers.delete(id)
    }
  }

  const run = (message: RunMessage): Promise<void> =>
    serve(message.id, async (ready, ctx) => {
      const out = await ready.run(message.job, ctx)
      port.postMessage({ id: message.id, type: 'result', result: out.result, run: out.run }, transferablesOf(out.result))
    })

  const partial = (message: PartialMessage): Promise<void> =>
    serve(message.id, async (ready, ctx) => {
      if (!ready.saliencyPartial) throw new Error('this engine cannot compute SmoothGrad partial sums')
      const out = await ready.saliencyPartial(message.job, message.range, ctx)
      // the clean predictions of the combined result: one forward pass, on the worker that was asked for them
      const predictions = message.predictions
        ? await ready.run({ ...message.job, params: { method: 'predict' } }, { signal: ctx.signal, onProgress: () => {} }).then(({ result }) => {
            if (result.method !== 'predict') throw new Error(`expected predictions, got a ${result.method} result`)
            return result.predictions
          })
        : undefined
      const reply = { id: message.id, type: 'partial-result' as const, partial: out.partial, run: out.run, ...(predictions ? { predictions } : {}) }
      port.postMessage(reply, transferablesOf([out.partial, predictions]))
    })

  /**
   * What the user should hear about the backend: every backend that failed its start-up check, and, when an order was
   * asked for (the backend setting puts the chosen one first), that the chosen one could not start.
   */
  const backendNotices = (ready: Engine, order: InitMessage['backends']): string[] => {
    const notices = [...(ready.backendNotices ?? [])]
    const first = ready.backendAttempts?.[0]
    if (order && first?.outcome === 'unavailable') notices.unshift(`backend ${first.name} is not available here (${first.reason}); using ${ready.backend}`)
    return notices
  }

  port.on('message', (message) => {
    switch (message.type) {
      case 'init': {
        if (shuttingDown) break
        engine = createEngine({ modelsDir: message.modelsDir, backends: message.backends, wasmThreads: message.wasmThreads })
        engine.then(
          (ready) => port.postMessage({ id: WORKER_ID, type: 'ready', backend: ready.backend, notices: backendNotices(ready, message.backends) }),
          (error) => port.postMessage({ id: WORKER_ID, type: 'error', message: `engine failed to start: ${messageOf(error)}`, cancelled: false })
        )
        break
      }
      case 'run':
      case 'partial':
        if (shuttingDown) {
          port.postMessage({ id: message.id, type: 'error', message: 'compute worker is shutting down', cancelled: false })
          break
        }
        track(message.type === 'run' ? run(message) : partial(message))
        break
      case 'cancel':
        controllers.get(message.id)?.abort()
        break
      case 'shutdown':
        if (!shuttingDown) void shutdown()
        break
    }
  })
}
