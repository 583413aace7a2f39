/** Shared test helpers for main: fake model folders, a fake-worker pool, event capture. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { Worker } from 'node:worker_threads'
import type { EventChannel, EventPayloads } from '../../src/shared/ipc'
import { MODEL_FORMAT, type ModelSpec } from '../../src/shared/model-format'
import { createPool, type PoolOptions } from '../../src/main/compute/pool'
import type { ImageBatch } from '../../src/shared/images'

export const FAKE_WORKER = resolve(import.meta.dirname, 'fixtures/fake-worker.mjs')

export function tempDir(prefix = 'rl-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix))
}

/** A model.json that passes ModelSpecSchema, with a 16-byte weight file (enough for listing, not for running). */
export function writeModelSpec(modelsDir: string, id: string, overrides: Partial<ModelSpec> = {}): void {
  const dir = join(modelsDir, id)
  mkdirSync(dir, { recursive: true })
  const spec: ModelSpec = {
    format: MODEL_FORMAT,
    id,
    pair: 'test-pair',
    role: 'standard',
    architecture: { name: 'resnet18-cifar', width: 4 },
    input: { height: 32, width: 32, channels: 3, layout: 'NHWC', range: [0, 1], mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] },
    classes: ['cat', 'dog'],
    representation: { name: 'penultimate', size: 32 },
    training: { dataset: 'none', threat: 'none', eps: 0, attackSteps: 0, epochs: 0, seed: 0 },
    metrics: { clean: 0, robust: {}, evaluatedWith: 'nothing' },
    weightsManifest: [{ paths: ['weights.bin'], weights: [{ name: 'w', shape: [4], dtype: 'float32' }] }],
    ...overrides
  }
  writeFileSync(join(dir, 'model.json'), JSON.stringify(spec))
  writeFileSync(join(dir, 'weights.bin'), new Uint8Array(16))
}

export function image(height = 32, width = 32, value = 0.5): ImageBatch {
  return { data: new Float32Array(height * width * 3).fill(value), shape: [1, height, width, 3] }
}

export function fakePool(options: Partial<PoolOptions> & { mode?: string } = {}) {
  const { mode, ...rest } = options
  return createPool(() => new Worker(FAKE_WORKER, { workerData: { mode } }), { size: 1, modelsDir: '/models', ...rest })
}

export type Captured = { [E in EventChannel]: { event: E; payload: EventPayloads[E] } }[EventChannel]

export function captureEvents() {
  const events: Captured[] = []
  const emit = <E extends EventChannel>(event: E, payload: EventPayloads[E]): void => {
    events.push({ event, payload } as Captured)
  }
  const of = <E extends EventChannel>(event: E): EventPayloads[E][] =>
    events.filter((e) => e.event === event).map((e) => e.payload as EventPayloads[E])
  /** Resolves with the job's final event. */
  const final = async (jobId: string, timeoutMs = 10_000): Promise<Captured> => {
    const start = Date.now()
    for (;;) {
      const done = events.find((e) => (e.event === 'job:finished' || e.event === 'job:failed') && e.payload.jobId === jobId)
      if (done) return done
      if (Date.now() - start > timeoutMs) throw new Error(`job ${jobId} did not end within ${timeoutMs} ms`)
      await new Promise((r) => setTimeout(r, 5))
    }
  }
  return { events, emit, of, final }
}
