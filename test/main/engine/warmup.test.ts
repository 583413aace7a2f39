import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { writeRandomModel } from '../../../src/main/engine/index'
import { gradientBatchFor } from '../../../src/main/engine/batching'
import { TfjsClassifier, tfjsFactory } from '../../../src/main/engine/backends/tfjs/index'
import { objectiveGradient } from '../../../src/main/engine/backends/tfjs/objective'
import { LoadedModel } from '../../../src/main/engine/models/load'
import { numTensors, randomImages, tempDir, useBackend } from './helpers'

const tmp = tempDir()
const wasmHeapBytes = (): number => (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.length

beforeAll(async () => {
  await useBackend('wasm')
  await writeRandomModel(tmp.dir, { id: 'w32', width: 32, seed: 3 })
})
afterAll(() => tmp.remove())

it('loading a model grows the wasm heap for the largest gradient batch, so a full-batch job does not grow it again', async () => {
  const model = await LoadedModel.load(join(tmp.dir, 'w32'), tfjsFactory('wasm'))
  const classifier = model.classifier as TfjsClassifier
  try {
    const heapAfterLoad = wasmHeapBytes()
    const tensorsAfterLoad = numTensors()
    const batch = gradientBatchFor(32, 32)
    expect(batch).toBe(16)
    const images = randomImages(batch, 32, 5)
    tf.tidy(() => {
      const x = tf.tensor4d(images.data, images.shape)
      objectiveGradient(classifier.net, x, { kind: 'crossEntropy', indices: new Array<number>(batch).fill(2) }).grad.dataSync()
    })
    expect(wasmHeapBytes(), 'the first batch-16 gradient grew the wasm heap').toBe(heapAfterLoad)
    expect(numTensors()).toBe(tensorsAfterLoad)
  } finally {
    model.dispose()
  }
})
