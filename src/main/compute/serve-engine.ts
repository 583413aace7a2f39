/**
 * The worker side of the protocol, separate from worker.ts so tests can drive it in-process over a MessageChannel
 * with a fake engine. Holds one AbortController per running job id.
 */
import { CancelledError, type Engine, type EngineOptions } from '../engine/api'
import { WORKER_ID, transferablesOf, type MainToWorker, type RunMessage, type WorkerToMain } from './protocol'

export interface WorkerPort {
  on(event: 'message', listener: (message: MainToWorker) => void): unknown
  postMessage(message: WorkerToMain, transfer?: readonly ArrayBuffer[]): void
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error))

export function serveEngine(port: WorkerPort, createEngine: (options: EngineOptions) => Promise<Engine>): void {
  let engine: Promise<Engine> | null = null
  const controllers = new Map<number, AbortController>()

  async function run(message: RunMessage): Promise<void> {
    const controller = new AbortController()
    controllers.set(message.id, controller)
    try {
      if (!engine) throw new Error('compute worker received a job before init')
      const ready = await engine
      const out = await ready.run(message.job, {
        signal: controller.signal,
        onProgress: (progress) => port.postMessage({ id: message.id, type: 'progress', progress })
      })
      port.postMessage({ id: message.id, type: 'result', result: out.result, run: out.run }, transferablesOf(out.result))
    } catch (error) {
      const cancelled = error instanceof CancelledError || controller.signal.aborted
      port.postMessage({ id: message.id, type: 'error', message: cancelled ? 'cancelled' : messageOf(error), cancelled })
    } finally {
      controllers.delete(message.id)
    }
  }

  port.on('message', (message) => {
    switch (message.type) {
      case 'init': {
        engine = createEngine({ modelsDir: message.modelsDir, backends: message.backends, wasmThreads: message.wasmThreads })
        engine.then(
          (ready) => port.postMessage({ id: WORKER_ID, type: 'ready', backend: ready.backend }),
          (error) => port.postMessage({ id: WORKER_ID, type: 'error', message: `engine failed to start: ${messageOf(error)}`, cancelled: false })
        )
        break
      }
      case 'run':
        void run(message)
        break
      case 'cancel':
        controllers.get(message.id)?.abort()
        break
    }
  })
}
