import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createEngine, ModelFormatError, writeRandomModel } from '../../../src/main/engine/index'
import { readModelFiles } from '../../../src/main/engine/models/format'
import type { Engine } from '../../../src/main/engine/api'
import { numTensors, randomImages, signal, tempDir } from './helpers'

describe('model loading and predict (wasm)', () => {
  const tmp = tempDir()
  let engine: Engine

  beforeAll(async () => {
    await writeRandomModel(tmp.dir, { id: 'tiny-a', width: 4, seed: 1 })
    await writeRandomModel(tmp.dir, { id: 'tiny-b', width: 2, seed: 2, role: 'robust', pair: 'tiny-a' })
    engine = await createEngine({ modelsDir: tmp.dir, backends: ['tensorflow-gpu', 'tensorflow', 'wasm'] })
  })
  afterAll(() => {
    engine.dispose()
    tmp.remove()
  })

  it('falls back past the absent native backends to wasm', () => {
    expect(engine.backend).toBe('wasm')
  })

  it('lists the models with their size and without the manifest', async () => {
    const models = await engine.listModels()
    expect(models.map((m) => m.id)).toEqual(['tiny-a', 'tiny-b'])
    expect(models[1].role).toBe('robust')
    expect(models[0].sizeBytes).toBeGreaterThan(1000)
    expect('weightsManifest' in models[0]).toBe(false)
  })

  it('predicts softmax rows that sum to 1, deterministically, without leaking tensors', async () => {
    await engine.run({ modelId: 'tiny-a', images: randomImages(1), params: { method: 'predict' } }, { signal: signal(), onProgress: () => {} })
    const before = numTensors()
    const images = randomImages(3)
    const a = await engine.run({ modelId: 'tiny-a', images, params: { method: 'predict' } }, { signal: signal(), onProgress: () => {} })
    const b = await engine.run({ modelId: 'tiny-a', images, params: { method: 'predict' } }, { signal: signal(), onProgress: () => {} })
    expect(numTensors()).toBe(before)
    if (a.result.method !== 'predict' || b.result.method !== 'predict') throw new Error('wrong method')
    const { probabilities, classes } = a.result.predictions
    expect(classes).toBe(10)
    expect(probabilities.length).toBe(30)
    for (let i = 0; i < 3; i++) {
      const row = probabilities.subarray(i * 10, i * 10 + 10)
      expect(row.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 5)
    }
    expect(Array.from(b.result.predictions.probabilities)).toEqual(Array.from(probabilities))
    expect(a.run.weightsSha256).toMatch(/^[0-9a-f]{64}$/)
    expect(a.run.backend).toBe('wasm')
  })

  it('rejects images that are not at the model input size', async () => {
    await expect(
      engine.run({ modelId: 'tiny-a', images: randomImages(1, 16), params: { method: 'predict' } }, { signal: signal(), onProgress: () => {} })
    ).rejects.toThrow(/32×32×3/)
  })

  it('finds a model by id when its folder has another name', async () => {
    const other = tempDir()
    try {
      const { dir } = await writeRandomModel(other.dir, { id: 'named-by-id', width: 2, seed: 9 })
      renameSync(dir, join(other.dir, 'some-folder'))
      const e = await createEngine({ modelsDir: other.dir, backends: ['wasm'] })
      const { run } = await e.run({ modelId: 'named-by-id', images: randomImages(1), params: { method: 'predict' } }, { signal: signal(), onProgress: () => {} })
      expect(run.modelId).toBe('named-by-id')
      e.dispose()
    } finally {
      other.remove()
    }
  })

  it('dispose frees every tensor of the cached models (weights and backward filters)', async () => {
    const other = tempDir()
    try {
      await writeRandomModel(other.dir, { id: 'freed', width: 2, seed: 9 })
      const before = numTensors()
      const e = await createEngine({ modelsDir: other.dir, backends: ['wasm'] })
      await e.run({ modelId: 'freed', images: randomImages(1), params: { method: 'predict' } }, { signal: signal(), onProgress: () => {} })
      expect(numTensors()).toBeGreaterThan(before)
      e.dispose()
      await new Promise((r) => setImmediate(r))
      expect(numTensors()).toBe(before)
    } finally {
      other.remove()
    }
  })

  it('reports an unknown model id', async () => {
    await expect(engine.run({ modelId: 'nope', images: randomImages(1), params: { method: 'predict' } }, { signal: signal(), onProgress: () => {} })).rejects.toThrow(
      /model\.json/
    )
  })
})

describe('model validation errors', () => {
  const tmp = tempDir()
  afterAll(() => tmp.remove())

  async function broken(id: string, edit: (dir: string) => void): Promise<ModelFormatError> {
    const { dir } = await writeRandomModel(tmp.dir, { id, width: 2, seed: 3 })
    edit(dir)
    try {
      await readModelFiles(dir)
    } catch (e) {
      expect(e).toBeInstanceOf(ModelFormatError)
      return e as ModelFormatError
    }
    throw new Error('expected the model to be rejected')
  }
  const editJson = (dir: string, f: (j: Record<string, unknown>) => void): void => {
    const j = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'))
    f(j)
    writeFileSync(join(dir, 'model.json'), JSON.stringify(j))
  }

  it('loads an intact random model and hashes its weights', async () => {
    const { dir, weightsSha256 } = await writeRandomModel(tmp.dir, { id: 'ok', width: 2, seed: 3 })
    const files = await readModelFiles(dir)
    expect(files.weightsSha256).toBe(weightsSha256)
    expect(files.weights.get('layer4.1.conv2.weight')!.length).toBe(3 * 3 * 16 * 16)
  })

  it('unknown format version', async () => {
    const e = await broken('fmt', (d) => editJson(d, (j) => (j.format = 'robust-lens/model@2')))
    expect(e.code).toBe('unknown-format')
    expect(e.message).toContain('robust-lens/model@2')
  })
  it('schema violation names the field', async () => {
    const e = await broken('schema', (d) => editJson(d, (j) => ((j.input as Record<string, unknown>).channels = 4)))
    expect(e.code).toBe('invalid-spec')
    expect(e.message).toContain('input.channels')
  })
  it('missing weight file', async () => {
    const e = await broken('missing', (d) => rmSync(join(d, 'weights.bin')))
    expect(e.code).toBe('missing-weight-file')
  })
  it('short weight file', async () => {
    const e = await broken('short', (d) => {
      const b = readFileSync(join(d, 'weights.bin'))
      writeFileSync(join(d, 'weights.bin'), b.subarray(0, b.length - 8))
    })
    expect(e.code).toBe('short-weight-file')
    expect(e.message).toMatch(/holds \d+ bytes, the manifest needs \d+/)
  })
  it('weight shape mismatch vs the architecture', async () => {
    const e = await broken('shape', (d) =>
      editJson(d, (j) => {
        const ws = (j.weightsManifest as { weights: { name: string; shape: number[] }[] }[])[0].weights
        const fc = ws.find((w) => w.name === 'fc.weight')!
        fc.shape = [fc.shape[1], fc.shape[0]]
      })
    )
    expect(e.code).toBe('weight-shape')
    expect(e.message).toContain('fc.weight')
  })
  it('missing weight entry', async () => {
    const e = await broken('noentry', (d) =>
      editJson(d, (j) => {
        const g = (j.weightsManifest as { weights: { name: string }[] }[])[0]
        g.weights = g.weights.filter((w) => w.name !== 'fc.bias')
      })
    )
    expect(e.code).toBe('missing-weight')
  })
  it('NaN in the weights', async () => {
    const e = await broken('nan', (d) => {
      const b = readFileSync(join(d, 'weights.bin'))
      b.writeFloatLE(NaN, 40)
      writeFileSync(join(d, 'weights.bin'), b)
      editJson(d, (j) => delete j.weightsSha256)
    })
    expect(e.code).toBe('non-finite-weight')
    expect(e.message).toContain('stem.conv.weight')
  })
  it('sha256 mismatch', async () => {
    const e = await broken('sha', (d) => {
      const b = readFileSync(join(d, 'weights.bin'))
      b.writeFloatLE(0.125, 40)
      writeFileSync(join(d, 'weights.bin'), b)
    })
    expect(e.code).toBe('sha256-mismatch')
  })
  it('reads float16 weights (manifest dtype float16) as the same values to half precision', async () => {
    const { dir } = await writeRandomModel(tmp.dir, { id: 'half', width: 2, seed: 3 })
    const full = await readModelFiles(dir)
    const toHalf = (v: number): number => {
      // float32 → IEEE half, round to nearest (normal range only; He-init weights stay within it)
      const f = new Float32Array([v])
      const bits = new Uint32Array(f.buffer)[0]
      const sign = (bits >>> 16) & 0x8000
      const exp = ((bits >>> 23) & 0xff) - 127 + 15
      const mant = bits & 0x7fffff
      if (exp <= 0) return sign
      const rounded = (exp << 10) + Math.round(mant / 8192)
      return sign | rounded
    }
    const values = [...full.weights.values()].flatMap((a) => Array.from(a))
    const half = Buffer.alloc(values.length * 2)
    values.forEach((v, i) => half.writeUInt16LE(toHalf(v), i * 2))
    writeFileSync(join(dir, 'weights.bin'), half)
    editJson(dir, (j) => {
      delete j.weightsSha256
      for (const w of (j.weightsManifest as { weights: { dtype: string }[] }[])[0].weights) w.dtype = 'float16'
    })
    const read = await readModelFiles(dir)
    const a = full.weights.get('layer2.0.conv1.weight')!
    const b = read.weights.get('layer2.0.conv1.weight')!
    expect(b.length).toBe(a.length)
    for (let i = 0; i < a.length; i++) expect(Math.abs(b[i] - a[i])).toBeLessThanOrEqual(Math.abs(a[i]) * 1e-3 + 1e-7)
    expect(read.sizeBytes).toBe(full.sizeBytes / 2)
  })

  it('every architecture writes and reads back (imagenet resnet18 / resnet50 layouts)', async () => {
    for (const architecture of ['resnet18', 'resnet50'] as const) {
      const { dir, spec } = await writeRandomModel(tmp.dir, { id: `arch-${architecture}`, architecture, width: 2, inputSize: 32 })
      const files = await readModelFiles(dir)
      expect(files.spec.representation.size).toBe(architecture === 'resnet50' ? 64 : 16)
      expect(spec.architecture.name).toBe(architecture)
    }
  })
})
