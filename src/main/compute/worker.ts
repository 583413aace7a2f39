/**
 * Compute worker entry (a worker_threads Worker; bundled by electron-vite through `?nodeWorker`, see pool usage in
 * src/main/index.ts). One TF.js engine per worker, created at `init`; jobs arrive as `run` messages.
 */
import { parentPort } from 'node:worker_threads'
import { createEngine } from '../engine/index'
import { serveEngine, type WorkerPort } from './serve-engine'

if (!parentPort) throw new Error('src/main/compute/worker.ts must run in a worker thread')
// process.exit in a worker thread ends only this thread, at a point where no ONNX Runtime call is in flight
serveEngine(parentPort as unknown as WorkerPort, createEngine, () => process.exit(0))
