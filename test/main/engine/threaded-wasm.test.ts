/**
 * Threaded wasm (engine-notes.md §6.2 obligations): two worker threads, each with its own engine built from the
 * real sources (bundled here), one single-threaded and one with 2 threads, compute the same gradient; the results
 * must be bit-identical. Also proves the engine runs inside a worker thread, as in the compute pool.
 */
import { rmSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { writeRandomModel } from '../../../src/main/engine/models/random'
import { randomImages, tempDir } from './helpers'

const root = resolve(import.meta.dirname, '../../..')
// inside the project so the bundle resolves @tensorflow/* from node_modules
const outDir = join(root, 'node_modules/.cache/robust-lens-engine-test')
const tmp = tempDir()

beforeAll(async () => {
  const { build } = await import('vite')
  await build({
    root,
    configFile: false,
    logLevel: 'error',
    build: {
      ssr: join(root, 'src/main/engine/index.ts'),
      outDir,
      emptyOutDir: true,
      minify: false,
      rollupOptions: { output: { entryFileNames: 'engine.mjs', format: 'es' } }
    }
  })
  await writeRandomModel(tmp.dir, { id: 'mt', width: 8, seed: 4 })
}, 120_000)
afterAll(() => {
  tmp.remove()
  rmSync(outDir, { recursive: true, force: true })
})

interface WorkerAnswer {
  backend: string
  threads: number
  gradient: Float32Array
  error?: string
}

function gradientInWorker(threads: number, images: Float32Array): Promise<WorkerAnswer> {
  const source = `
    const { parentPort, workerData } = require('node:worker_threads')
    import(workerData.engineUrl).then(async ({ createEngine }) => {
      const engine = await createEngine({ modelsDir: workerData.modelsDir, backends: ['wasm'], wasmThreads: workerData.threads })
      const job = { modelId: 'mt', images: { data: workerData.images, shape: [2, 32, 32, 3] },
        params: { method: 'saliency', gradient: 'loss', classIndex: 3, smoothing: { kind: 'none' }, seed: 0 } }
      const { result } = await engine.run(job, { signal: new AbortController().signal, onProgress: () => {} })
      parentPort.postMessage({ backend: engine.backend, threads: require('@tensorflow/tfjs-backend-wasm').getThreadsCount(), gradient: result.maps })
      engine.dispose()
    }).catch((e) => parentPort.postMessage({ error: String(e && e.stack || e) }))`
  return new Promise((resolvePromise, reject) => {
    const worker = new Worker(source, {
      eval: true,
      workerData: { engineUrl: pathToFileURL(join(outDir, 'engine.mjs')).href, modelsDir: tmp.dir, threads, images }
    })
    worker.once('message', (m: WorkerAnswer) => {
      void worker.terminate()
      if (m.error) reject(new Error(m.error))
      else resolvePromise(m)
    })
    worker.once('error', reject)
  })
}

describe('threaded wasm in a worker thread', () => {
  it('2 threads give a gradient bit-identical to 1 thread', async () => {
    const images = randomImages(2, 32, 8).data
    const single = await gradientInWorker(1, images)
    const threaded = await gradientInWorker(2, images)
    expect(single.backend).toBe('wasm')
    expect(threaded.backend).toBe('wasm')
    expect(single.threads).toBe(1)
    expect(threaded.threads).toBe(2)
    expect(Math.max(...single.gradient.map(Math.abs))).toBeGreaterThan(0)
    expect(Buffer.from(threaded.gradient.buffer).equals(Buffer.from(single.gradient.buffer))).toBe(true)
  }, 120_000)
})
