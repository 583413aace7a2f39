/** The CLI on the house's compute pool: N long-lived worker threads, each with its own engine (engine-notes §6.1). */
import createWorker from '../compute/worker?nodeWorker'
import { createPool } from '../compute/pool'
import { batchedRun } from '../compute/split'
import type { Runner, RunnerOptions } from './runner'

export async function createPoolRunner(options: RunnerOptions): Promise<Runner> {
  const pool = createPool(() => createWorker({}), { size: options.workers, modelsDir: options.modelsDir, backends: options.backends, wasmThreads: options.wasmThreads })
  let backend: string
  try {
    backend = await pool.backend()
  } catch (e) {
    await pool.terminate()
    throw e
  }
  return {
    backend,
    workers: pool.size,
    // SmoothGrad samples spread over the idle workers; the models of one command (same tick) share them out
    run: batchedRun(pool),
    dispose: () => pool.terminate()
  }
}
