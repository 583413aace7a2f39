import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { resolve } from 'node:path'
import { MessageChannel, Worker } from 'node:worker_threads'
import { afterAll, describe, expect, it } from 'vitest'
import { createPool, type ComputePool } from '../../src/main/compute/pool'
import type { WorkerToMain } from '../../src/main/compute/protocol'
import { serveEngine, type WorkerPort } from '../../src/main/compute/serve-engine'
import { CancelledError, type Engine } from '../../src/main/engine/api'
import { writeRandomModel } from '../../src/main/engine/index'
import { image, tempDir } from './helpers'

describe('serveEngine (the worker side, in-process)', () => {
  function connect(engine: Partial<Engine> | Error | (() => Promise<Engine>)) {
    const { port1, port2 } = new MessageChannel()
    const received: WorkerToMain[] = []
    const exits: number[] = []
    port1.on('message', (m: WorkerToMain) => received.push(m))
    serveEngine(
      port2 as unknown as WorkerPort,
      async () => {
        if (engine instanceof Error) throw engine
        if (typeof engine === 'function') return engine()
        return engine as Engine
      },
      () => exits.push(Date.now())
    )
    const next = async (predicate: (m: WorkerToMain) => boolean): Promise<WorkerToMain> => {
      for (let i = 0; i < 400; i++) {
        const found = received.find(predicate)
        if (found) return found
        await new Promise((r) => setTimeout(r, 5))
      }
      throw new Error('no such message')
    }
    return { port: port1, received, exits, next, close: () => (port1.close(), port2.close()) }
  }

  const settle = () => new Promise((r) => setTimeout(r, 20))

  it('shutdown during the engine start exits only once the start has settled (no thread torn down inside ONNX Runtime)', async () => {
    let finishStart: (engine: Engine) => void = () => {}
    const w = connect(() => new Promise<Engine>((resolve) => (finishStart = resolve)))
    w.port.postMessage({ id: 0, type: 'init', modelsDir: '/m' })
    w.port.postMessage({ id: 0, type: 'shutdown' })
    await settle()
    expect(w.exits).toEqual([]) // still starting: waiting, not exiting
    finishStart({ backend: 'cpu' } as Engine)
    await settle()
    expect(w.exits).toHaveLength(1)
    w.close()
  })

  it('shutdown cancels a running job, exits after it has answered, and refuses jobs that arrive afterwards', async () => {
    let finishJob: () => void = () => {}
    const w = connect({
      backend: 'cpu',
      // a job that notices the abort only at its next step, like the engine's methods
      run: (_job, ctx) => new Promise((_resolve, reject) => (finishJob = () => reject(ctx.signal.aborted ? new CancelledError() : new Error('not aborted'))))
    })
    w.port.postMessage({ id: 0, type: 'init', modelsDir: '/m' })
    await w.next((m) => m.type === 'ready')
    w.port.postMessage({ id: 3, type: 'run', job: { modelId: 'm', images: image(), params: { method: 'predict' } } })
    await settle()
    w.port.postMessage({ id: 0, type: 'shutdown' })
    w.port.postMessage({ id: 4, type: 'run', job: { modelId: 'm', images: image(), params: { method: 'predict' } } })
    expect(await w.next((m) => m.id === 4)).toMatchObject({ type: 'error', message: 'compute worker is shutting down', cancelled: false })
    await settle()
    expect(w.exits).toEqual([]) // job 3 is still inside its step
    finishJob()
    expect(await w.next((m) => m.id === 3)).toMatchObject({ type: 'error', cancelled: true })
    await settle()
    expect(w.exits).toHaveLength(1)
    w.close()
  })

  it('reports ready with the engine backend and its fallback notices, runs a job with progress, and moves result arrays', async () => {
    const probabilities = new Float32Array([0.1, 0.9])
    const notice = 'backend tensorflow failed its start-up check (logits off by 0.5 (relative)); using wasm'
    const w = connect({
      backend: 'wasm',
      backendNotices: [notice],
      run: async (_job, ctx) => {
        ctx.onProgress({ step: 1, totalSteps: 1, etaMs: 0 })
        return { result: { method: 'predict', predictions: { probabilities, classes: 2 } }, run: { modelId: 'm', weightsSha256: '', backend: 'wasm', ms: 1 } }
      }
    })
    w.port.postMessage({ id: 0, type: 'init', modelsDir: '/m' })
    expect(await w.next((m) => m.type === 'ready')).toEqual({ id: 0, type: 'ready', backend: 'wasm', notices: [notice] })
    w.port.postMessage({ id: 5, type: 'run', job: { modelId: 'm', images: image(), params: { method: 'predict' } } })
    const result = await w.next((m) => m.type === 'result')
    expect(w.received.some((m) => m.type === 'progress' && m.id === 5)).toBe(true)
    expect(result.type === 'result' && result.result.method === 'predict' && [...result.result.predictions.probabilities]).toEqual([0.1, 0.9].map(Math.fround))
    expect(probabilities.byteLength).toBe(0) // transferred, not copied
    w.close()
  })

  it('aborts the job signal on cancel and answers cancelled', async () => {
    const w = connect({
      backend: 'cpu',
      run: (_job, ctx) =>
        new Promise((_resolve, reject) => ctx.signal.addEventListener('abort', () => reject(new CancelledError())))
    })
    w.port.postMessage({ id: 0, type: 'init', modelsDir: '/m' })
    w.port.postMessage({ id: 2, type: 'run', job: { modelId: 'm', images: image(), params: { method: 'predict' } } })
    w.port.postMessage({ id: 2, type: 'cancel' })
    expect(await w.next((m) => m.type === 'error')).toEqual({ id: 2, type: 'error', message: 'cancelled', cancelled: true })
    w.close()
  })

  it('reports an engine that cannot start', async () => {
    const w = connect(new Error('no backend works'))
    w.port.postMessage({ id: 0, type: 'init', modelsDir: '/m' })
    expect(await w.next((m) => m.type === 'error')).toMatchObject({ id: 0, message: 'engine failed to start: no backend works', cancelled: false })
    w.close()
  })
})

const chunks = resolve(import.meta.dirname, '../../out/main/chunks')
const builtWorker = existsSync(chunks) ? readdirSync(chunks).find((n) => /^worker-.*\.js$/.test(n)) : undefined
// npm test builds first and sets REQUIRE_BUILD, so there this never skips
const skip = !builtWorker && process.env.REQUIRE_BUILD !== '1'

describe.skipIf(skip)('the built compute worker (out/main/chunks/worker-*.js) with a real random-weight model', () => {
  let pool: ComputePool | null = null
  afterAll(async () => pool?.terminate())

  it('predicts with the default backend (ONNX Runtime, loaded from node_modules by the built chunk), then a cancelled attack stops and the worker takes the next job', async () => {
    if (!builtWorker) throw new Error('no built worker chunk: run `npm run build`')
    const modelsDir = tempDir()
    await writeRandomModel(modelsDir, { id: 'tiny', width: 4 })
    pool = createPool(() => new Worker(resolve(chunks, builtWorker)), { size: 1, modelsDir })
    expect(await pool.backend()).toBe('onnxruntime')
    expect(pool.backendNotices(), 'onnxruntime passed its self-check in the worker; nothing before it failed').toEqual([])
    const out = await pool.run({ modelId: 'tiny', images: image(), params: { method: 'predict' } })
    if (out.result.method !== 'predict') throw new Error(`unexpected ${out.result.method}`)
    const p = out.result.predictions.probabilities
    expect(p).toBeInstanceOf(Float32Array)
    expect(p.length).toBe(10)
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4)

    const controller = new AbortController()
    let steps = 0
    const attack = pool.run(
      {
        modelId: 'tiny',
        images: image(),
        params: { method: 'attack', threat: 'l2', eps: 1, stepSize: 0.1, steps: 5000, targeted: false, targetClass: null, trueClass: null, randomStart: false, restarts: 0, useBest: false, keepIterates: 0, seed: 0 }
      },
      { signal: controller.signal, onProgress: () => void (++steps === 3 && controller.abort()) }
    )
    await expect(attack).rejects.toBeInstanceOf(CancelledError)
    expect(steps).toBeLessThan(5000)
    await expect(pool.run({ modelId: 'tiny', images: image(), params: { method: 'predict' } })).resolves.toMatchObject({ run: { modelId: 'tiny' } })
    expect(pool.stats()).toMatchObject({ busy: 0, replaced: 0 })
  })

  it('a shutdown at any moment of the engine start ends the worker cleanly: the process is not aborted (CI saw SIGABRT from terminate())', async () => {
    if (!builtWorker) throw new Error('no built worker chunk: run `npm run build`')
    const modelsDir = tempDir()
    await writeRandomModel(modelsDir, { id: 'tiny', width: 4 })
    const delays = [0, 150, 300, 450, 600, 800]
    const probe = spawnSync(process.execPath, [resolve(import.meta.dirname, 'fixtures/shutdown-probe.mjs'), resolve(chunks, builtWorker), modelsDir, delays.join(',')], {
      encoding: 'utf8',
      timeout: 120_000
    })
    expect(probe.stderr).not.toContain('terminate called')
    expect({ status: probe.status, signal: probe.signal }).toEqual({ status: 0, signal: null })
    expect(probe.stdout).toContain('all stopped')
    expect(probe.stdout.match(/: exit 0$/gm)).toHaveLength(delays.length)
  }, 150_000)
})
