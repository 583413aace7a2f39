/** Test helpers for the engine: temp model folders, random images, relative errors. */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { Rng } from '../../../src/main/engine/rng'
import type { ImageBatch } from '../../../src/shared/images'

export function tempDir(prefix = 'rl-engine-'): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) }
}

export function randomImages(n: number, size = 32, seed = 1): ImageBatch {
  const rng = new Rng(seed)
  return { data: rng.uniformArray(n * size * size * 3, 0.02, 0.98), shape: [n, size, size, 3] }
}

/** max |a − b| / max |b| */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0
  let scale = 0
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]))
    scale = Math.max(scale, Math.abs(b[i]))
  }
  return scale === 0 ? diff : diff / scale
}

export async function useBackend(name: 'cpu' | 'wasm'): Promise<void> {
  const { selectBackend } = await import('../../../src/main/engine/backends/tfjs/runtime')
  await selectBackend([name])
}

export const numTensors = (): number => tf.memory().numTensors

export const signal = (): AbortSignal => new AbortController().signal
