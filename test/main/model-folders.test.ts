/**
 * Model folders are untrusted input (issue 11 #6, #7): ids must be unique across folders, weight files must be plain
 * regular files inside their folder whose size matches the manifest before a byte is read, the declared input size is
 * bounded, every error names the folder and the file, and model.json is parsed once per path and mtime.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, truncateSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { listModels } from '../../src/main/catalog'
import { createEngine, writeRandomModel } from '../../src/main/engine/index'
import { ModelFormatError, readModelFiles, readWeightFiles, readModelSpec } from '../../src/main/engine/models/format'
import { ModelSpecSchema } from '../../src/shared/model-format'
import { randomImages, signal } from './engine/helpers'
import { tempDir, writeModelSpec } from './helpers'

const posix = process.platform !== 'win32'
const editJson = (dir: string, edit: (j: Record<string, unknown>) => void): void => {
  const j = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'))
  edit(j)
  writeFileSync(join(dir, 'model.json'), JSON.stringify(j))
}

async function refusal(promise: Promise<unknown>): Promise<ModelFormatError> {
  try {
    await promise
  } catch (e) {
    expect(e).toBeInstanceOf(ModelFormatError)
    return e as ModelFormatError
  }
  throw new Error('expected the model folder to be refused')
}

describe('two model folders with the same id', () => {
  const modelsDir = tempDir()
  afterAll(() => rmSync(modelsDir, { recursive: true, force: true }))

  it('are both refused by the catalog, with a warning naming both folders', async () => {
    writeModelSpec(modelsDir, 'twin', { classes: ['cat', 'dog'] })
    writeModelSpec(modelsDir, 'aaa-copy', { id: 'twin', classes: ['truck', 'ship'] })
    writeModelSpec(modelsDir, 'single')
    const warnings: string[] = []
    const models = await listModels(modelsDir, (w) => warnings.push(w))
    expect(models.map((m) => m.id)).toEqual(['single'])
    expect(warnings).toEqual([expect.stringMatching(/model id 'twin': it is declared by 2 folders \(.*aaa-copy and .*twin\)/)])
  })

  it('are refused by the engine too, naming both folders (it loaded one of them by id before)', async () => {
    const dir = tempDir()
    try {
      await writeRandomModel(dir, { id: 'same', width: 2, seed: 1 })
      const other = await writeRandomModel(join(dir, 'x'), { id: 'same', width: 2, seed: 2 })
      renameSync(other.dir, join(dir, 'other'))
      const engine = await createEngine({ modelsDir: dir, backends: ['wasm'] })
      try {
        await expect(engine.run({ modelId: 'same', images: randomImages(1), params: { method: 'predict' } }, { signal: signal(), onProgress: () => {} })).rejects.toThrow(
          /model id 'same' is declared by 2 folders \(.*other and .*same\)/
        )
      } finally {
        engine.dispose()
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('weight files are checked before they are read', () => {
  const root = tempDir()
  afterAll(() => rmSync(root, { recursive: true, force: true }))
  let n = 0
  const model = async (edit: (dir: string) => void) => {
    const { dir } = await writeRandomModel(root, { id: `m${n++}`, width: 2, seed: 3 })
    edit(dir)
    return dir
  }

  it.runIf(posix)('refuses a FIFO as a weight file at once (it blocked the reading thread for ever)', { timeout: 10_000 }, async () => {
    const dir = await model((d) => {
      rmSync(join(d, 'weights.bin'))
      execFileSync('mkfifo', [join(d, 'weights.bin')])
    })
    const e = await refusal(readModelFiles(dir))
    expect(e.code).toBe('not-a-regular-file')
    expect(e.message).toBe(`model folder ${dir}: weight file weights.bin is not a regular file`)
    const warnings: string[] = []
    expect((await listModels(root, (w) => warnings.push(w))).map((m) => m.id)).not.toContain(JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')).id)
    expect(warnings.join('\n')).toContain('weights.bin is not a regular file')
  })

  it.runIf(posix)('refuses a model.json that is a FIFO when listing, without hanging', { timeout: 10_000 }, async () => {
    const dir = join(root, 'fifo-json')
    mkdirSync(dir)
    execFileSync('mkfifo', [join(dir, 'model.json')])
    const warnings: string[] = []
    await listModels(root, (w) => warnings.push(w))
    expect(warnings.join('\n')).toContain(`model folder ${dir}: model.json is not a regular file`)
    rmSync(dir, { recursive: true })
  })

  it.runIf(posix)('refuses a link that leads outside the folder (to /dev/zero: memory grew past 2.5 GiB)', { timeout: 10_000 }, async () => {
    const dir = await model((d) => {
      rmSync(join(d, 'weights.bin'))
      symlinkSync('/dev/zero', join(d, 'weights.bin'))
    })
    const e = await refusal(readModelFiles(dir))
    expect(e.code).toBe('weight-file-path')
    expect(e.message).toBe(`model folder ${dir}: weight file weights.bin leads outside the folder (to /dev/zero)`)
  })

  it('compares the size with the manifest before reading: a 3 GiB (sparse) file is refused unread', async () => {
    const dir = await model((d) => truncateSync(join(d, 'weights.bin'), 3 * 2 ** 30))
    const e = await refusal(readModelFiles(dir))
    expect(e.code).toBe('long-weight-file')
    expect(e.message).toMatch(new RegExp(`^model folder ${dir.replace(/[\\\\^$.*+?()[\]{}|]/g, '\\$&')}: weight file weights\\.bin holds 3221225472 bytes, the manifest describes only \\d+`))
  })

  it.each([['..'], ['.']])('refuses %j as a weight file name (was EISDIR)', async (name) => {
    const dir = await model((d) => editJson(d, (j) => ((j.weightsManifest as { paths: string[] }[])[0].paths = [name])))
    const e = await refusal(readModelFiles(dir))
    expect(e.code).toBe('weight-file-path')
    expect(e.message).toBe(`model folder ${dir}: weight file "${name}" is not a plain file name inside the folder`)
  })

  it('reads the weights of an intact folder through readWeightFiles (the reader every backend shares)', async () => {
    const { dir, weightsSha256 } = await writeRandomModel(root, { id: 'intact', width: 2, seed: 4 })
    const spec = await readModelSpec(dir)
    const bytes = await readWeightFiles(dir, spec)
    expect(bytes.weightsSha256).toBe(weightsSha256)
    expect(bytes.groups.reduce((s, g) => s + g.length, 0)).toBe(bytes.sizeBytes)
  })

  it('bounds the input size a model may declare (loading warms it up at that size)', async () => {
    const dir = await model((d) => editJson(d, (j) => ((j.input as Record<string, unknown>).height = 100_000)))
    const e = await refusal(readModelFiles(dir))
    expect(e.code).toBe('invalid-spec')
    expect(e.message).toMatch(/input\.height: .*1024/)
  })
})

describe('model.json parsing is cached by path and mtime', () => {
  it('listing twice parses each model.json once; a changed file is parsed again', async () => {
    const modelsDir = tempDir()
    try {
      for (const id of ['a', 'b', 'c']) writeModelSpec(modelsDir, id)
      const parse = vi.spyOn(ModelSpecSchema, 'safeParse')
      await listModels(modelsDir)
      expect(parse).toHaveBeenCalledTimes(3)
      await listModels(modelsDir)
      expect(parse).toHaveBeenCalledTimes(3)
      const later = new Date(Date.now() + 5000)
      utimesSync(join(modelsDir, 'b', 'model.json'), later, later)
      expect((await listModels(modelsDir)).map((m) => m.id)).toEqual(['a', 'b', 'c'])
      expect(parse).toHaveBeenCalledTimes(4)
      parse.mockRestore()
    } finally {
      rmSync(modelsDir, { recursive: true, force: true })
    }
  })
})
