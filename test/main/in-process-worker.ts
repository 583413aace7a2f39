/** A worker_threads Worker look-alike running the real compute worker loop (serveEngine) in this thread. */
import { EventEmitter } from 'node:events'
import { MessageChannel } from 'node:worker_threads'
import type { MainToWorker } from '../../src/main/compute/protocol'
import { serveEngine, type WorkerPort } from '../../src/main/compute/serve-engine'
import type { Engine } from '../../src/main/engine/api'
import { createEngine } from '../../src/main/engine/index'

/** A worker_threads Worker look-alike running serveEngine in this thread (the pool needs on/postMessage/terminate). */
export class InProcessWorker extends EventEmitter {
  private readonly channel = new MessageChannel()
  constructor(engines: Engine[]) {
    super()
    serveEngine(
      this.channel.port2 as unknown as WorkerPort,
      async (options) => {
        const engine = await createEngine(options)
        engines.push(engine)
        return engine
      },
      () => void this.terminate()
    )
    this.channel.port1.on('message', (m) => this.emit('message', m))
  }
  postMessage(message: MainToWorker, transfer?: ArrayBuffer[]): void {
    this.channel.port1.postMessage(message, transfer)
  }
  private exited = false
  async terminate(): Promise<number> {
    if (this.exited) return 0
    this.exited = true
    this.channel.port1.close()
    this.channel.port2.close()
    this.emit('exit', 0)
    return 0
  }
}
