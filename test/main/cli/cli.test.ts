import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as tar from 'tar'
import { PNG } from 'pngjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { writeRandomModel } from '../../../src/main/engine/models/random'
import { encodePng } from '../../../src/main/cli/images'
import { decodeNpy, encodeNpy } from '../../../src/main/cli/npy'
import { runCli } from '../../../src/main/cli/main'
import type { RunnerFactory } from '../../../src/main/cli/runner'
import { fakeRunnerFactory } from './fake-runner'

interface Run {
  code: number
  stdout: string
  stderr: string
}

async function cli(argv: string[], createRunner?: RunnerFactory): Promise<Run> {
  let stdout = ''
  let stderr = ''
  const code = await runCli(argv, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) }, { createRunner })
  return { code, stdout, stderr }
}

const root = mkdtempSync(join(tmpdir(), 'rl-cli-'))
const modelsDir = join(root, 'models')
const imagesDir = join(root, 'images')
let standardSha = ''

/** A size×size PNG with a horizontal gradient. */
function pngFile(path: string, size: number, tint = 0): void {
  const data = new Uint8Array(size * size * 4)
  for (let p = 0; p < size * size; p++) data.set([((p % size) * 255) / size, tint, 128, 255], 4 * p)
  writeFileSync(path, encodePng(data, size, size))
}

beforeAll(async () => {
  standardSha = (await writeRandomModel(modelsDir, { id: 'tiny-standard', pair: 'tiny', role: 'standard', width: 2, seed: 1 })).weightsSha256
  await writeRandomModel(modelsDir, { id: 'tiny-robust', pair: 'tiny', role: 'robust', width: 2, seed: 2 })
  mkdirSync(imagesDir)
  pngFile(join(imagesDir, 'a.png'), 32)
  pngFile(join(imagesDir, 'b.png'), 40, 200) // not at the model's size: center crop + area resize
  writeFileSync(join(root, 'broken.png'), Buffer.from('\x89PNG\r\n\x1a\n not really a png at all', 'latin1'))
})

const out = (name: string): string => join(root, 'out', name)
const readJson = (dir: string): Record<string, unknown> => JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8'))
const base = ['--models-dir', modelsDir, '--quiet']

describe('usage errors exit with code 2', () => {
  it('without a command prints the usage on stderr', async () => {
    const r = await cli([])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/no command given[\s\S]*usage: npm run lab -- <command>/)
  })

  it('rejects an unknown command, an unknown option and a malformed number', async () => {
    expect((await cli(['explain'])).code).toBe(2)
    const unknown = await cli(['predict', '--frobnicate', 'x.png'])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toMatch(/frobnicate/)
    const nan = await cli(['attack', ...base, '--eps', 'lots', join(imagesDir, 'a.png')])
    expect(nan.code).toBe(2)
    expect(nan.stderr).toMatch(/--eps: 'lots' is not a number/)
  })

  it("a bad option of a command prints that command's usage, not the list of commands", async () => {
    const r = await cli(['attack', '--frobnicate'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/Unknown option '--frobnicate'[\s\S]*usage: npm run lab -- attack \[options\][\s\S]*--target NAME\|K/)
    expect(r.stderr).not.toMatch(/commands:/)
  })

  it('classes by name or index for --target, --true-class and --class; an unknown one lists the classes', async () => {
    const { factory, jobs } = fakeRunnerFactory()
    expect((await cli(['attack', ...base, '--target', 'Horse', '--true-class', '3', join(imagesDir, 'a.png')], factory)).code).toBe(0)
    expect(jobs[0].params).toMatchObject({ targeted: true, targetClass: 7, trueClass: 3 })
    expect((await cli(['saliency', ...base, '--class', 'ship', join(imagesDir, 'a.png')], factory)).code).toBe(0)
    expect(jobs.at(-1)!.params).toMatchObject({ classIndex: 8 })
    const bad = await cli(['attack', ...base, '--target', 'unicorn', join(imagesDir, 'a.png')], factory)
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/--target: 'unicorn' is not a class of tiny-standard: give a name \(airplane, automobile, bird, cat, deer, dog, frog, horse, ship, truck\) or an index 0–9/)
    expect((await cli(['attack', ...base, '--target', '10', join(imagesDir, 'a.png')], factory)).code).toBe(2)
  })

  it("crops image files to the model's input.cropFraction by default (as in the model's evaluation)", async () => {
    const cropped = join(root, 'cropped-models')
    await writeRandomModel(cropped, { id: 'crop-standard', pair: 'crop', role: 'standard', width: 2, seed: 1 })
    const specFile = join(cropped, 'crop-standard', 'model.json')
    const spec = JSON.parse(readFileSync(specFile, 'utf8')) as { input: Record<string, unknown> }
    spec.input.cropFraction = 0.5
    writeFileSync(specFile, JSON.stringify(spec))
    const { factory } = fakeRunnerFactory()
    const dir = out('crop')
    expect((await cli(['predict', '--models-dir', cropped, '--quiet', '--out', dir, join(imagesDir, 'a.png'), join(imagesDir, 'b.png')], factory)).code).toBe(0)
    expect(readJson(dir).inputs).toEqual([
      { source: join(imagesDir, 'a.png'), originalSize: [32, 32], crop: { x: 8, y: 8, width: 16, height: 16 } },
      { source: join(imagesDir, 'b.png'), originalSize: [40, 40], crop: { x: 10, y: 10, width: 20, height: 20 } }
    ])
  })

  it('--crop-fraction 1 takes already-cropped test images whole (no second crop), and a fraction outside (0, 1] is refused', async () => {
    const cropped = join(root, 'cropped-models')
    const { factory } = fakeRunnerFactory()
    const dir = out('crop-1')
    expect((await cli(['predict', '--models-dir', cropped, '--quiet', '--crop-fraction', '1', '--out', dir, join(imagesDir, 'a.png')], factory)).code).toBe(0)
    expect(readJson(dir).inputs).toEqual([{ source: join(imagesDir, 'a.png'), originalSize: [32, 32] }])
    const refused = await cli(['predict', '--models-dir', cropped, '--quiet', '--crop-fraction', '1.5', join(imagesDir, 'a.png')], factory)
    expect(refused.code).toBe(2)
    expect(refused.stderr).toMatch(/--crop-fraction must be in \(0, 1\], got 1\.5/)
  })

  it('--help states the defaults of the attack parameters', async () => {
    const r = await cli(['attack', '--help'])
    expect(r.stdout).toMatch(/--eps E .*default l2: 0\.5, linf: 8\/255/)
    expect(r.stdout).toMatch(/--steps N .*default 20/)
    expect(r.stdout).toMatch(/--step S .*default 2\.5·ε\/steps/)
  })

  it('rejects values the job schema refuses, naming the option', async () => {
    const { factory } = fakeRunnerFactory()
    const r = await cli(['attack', ...base, '--eps=-1', join(imagesDir, 'a.png')], factory)
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/--eps: ε must be in \[0, 10000\]/)
    const v = await cli(['saliency', ...base, '--variant', 'blur', join(imagesDir, 'a.png')], factory)
    expect(v.code).toBe(2)
    expect(v.stderr).toMatch(/--variant: 'blur' is not one of none, smoothgrad, smoothgrad2, vargrad/)
  })

  it('refuses images and --input-npy together, and a command without inputs', async () => {
    const { factory } = fakeRunnerFactory()
    expect((await cli(['predict', ...base, '--input-npy', 'x.npy', join(imagesDir, 'a.png')], factory)).code).toBe(2)
    const none = await cli(['predict', ...base], factory)
    expect(none.code).toBe(2)
    expect(none.stderr).toMatch(/no input images/)
  })

  it('prints help with exit code 0', async () => {
    const r = await cli(['attack', '--help'])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/--random-start/)
    expect(r.stdout).toMatch(/--models-dir/)
  })
})

describe('input errors exit with code 1 and name the file', () => {
  it('reports a missing image', async () => {
    const r = await cli(['predict', ...base, join(root, 'nope.png')], fakeRunnerFactory().factory)
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/nope\.png: cannot read \(ENOENT\)/)
  })

  it('processes the good images of a batch, reports each bad one with its reason and exits 1 (issue 11 #11)', async () => {
    const { factory, jobs } = fakeRunnerFactory()
    const dir = out('partial-batch')
    const zero = join(root, 'zero.png')
    const png = readFileSync(join(imagesDir, 'a.png'))
    png.writeUInt32BE(0, 16) // IHDR width 0
    writeFileSync(zero, png)
    const r = await cli(['predict', ...base, '--model', 'tiny-standard', '--out', dir, join(imagesDir, 'a.png'), join(root, 'broken.png'), join(imagesDir, 'b.png'), zero, join(root, 'missing.png')], factory)
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/error: .*broken\.png: the PNG header is damaged/)
    expect(r.stderr).toMatch(/error: .*zero\.png: the PNG header says 0×32/)
    expect(r.stderr).toMatch(/error: .*missing\.png: cannot read \(ENOENT\)/)
    expect(r.stderr).toMatch(/3 of 5 inputs failed; the others were processed/)
    expect(jobs).toHaveLength(1)
    expect(jobs[0].images.shape).toEqual([2, 32, 32, 3])
    const result = readJson(dir) as { inputs: { source: string }[]; failedInputs: { source: string; reason: string }[] }
    expect(result.inputs.map((i) => i.source)).toEqual([join(imagesDir, 'a.png'), join(imagesDir, 'b.png')])
    expect(result.failedInputs.map((f) => f.source)).toEqual([join(root, 'broken.png'), zero, join(root, 'missing.png')])
    expect(readFileSync(join(dir, 'predictions.csv'), 'utf8')).toContain('b.png')
  })

  it('fails with every reason when no input can be used', async () => {
    const r = await cli(['predict', ...base, join(root, 'broken.png'), join(root, 'missing.png')], fakeRunnerFactory().factory)
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/none of the 2 inputs could be used:\n  .*broken\.png: .*\n  .*missing\.png: cannot read/)
  })

  it('reports a corrupt image', async () => {
    const r = await cli(['predict', ...base, join(root, 'broken.png')], fakeRunnerFactory().factory)
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/broken\.png: the PNG header is damaged/)
  })

  it('reports a .npy of the wrong dtype and one of the wrong size', async () => {
    const f8 = join(root, 'f8.npy')
    const header = "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }".padEnd(117, ' ') + '\n'
    writeFileSync(f8, Buffer.concat([Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 118, 0]), Buffer.from(header, 'latin1'), Buffer.alloc(8)]))
    const dtype = await cli(['predict', ...base, '--input-npy', f8], fakeRunnerFactory().factory)
    expect(dtype.code).toBe(1)
    expect(dtype.stderr).toMatch(/f8\.npy: .*dtype is '<f8'/)
    const small = join(root, 'small.npy')
    writeFileSync(small, encodeNpy(new Float32Array(16 * 16 * 3), [1, 16, 16, 3]))
    const size = await cli(['predict', ...base, '--input-npy', small], fakeRunnerFactory().factory)
    expect(size.code).toBe(1)
    expect(size.stderr).toMatch(/images are 16×16, the model takes 32×32/)
  })

  it('reports pixels outside [0,1] in a .npy', async () => {
    const hot = join(root, 'hot.npy')
    const data = new Float32Array(32 * 32 * 3).fill(0.5)
    data[5] = 1.5
    writeFileSync(hot, encodeNpy(data, [1, 32, 32, 3]))
    const r = await cli(['predict', ...base, '--input-npy', hot], fakeRunnerFactory().factory)
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/hot\.npy: value 1\.5 at flat index 5 is outside \[0, 1\]/)
  })

  it('reports an unknown model', async () => {
    const r = await cli(['predict', ...base, '--model', 'no-such-model', join(imagesDir, 'a.png')], fakeRunnerFactory().factory)
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/no-such-model/)
  })
})

describe('predict on a real random-weight model (in-process engine)', () => {
  it('writes predictions, probabilities and a result.json with the weights hash; --json prints the same', async () => {
    const dir = out('predict')
    const r = await cli(['predict', ...base, '--model', 'tiny-standard', '--out', dir, '--json', imagesDir])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const result = readJson(dir)
    expect(JSON.parse(r.stdout)).toEqual(result)
    expect(result.command).toBe('predict')
    expect(result.seed).toBe(0)
    expect((result.models as { weightsSha256: string }[])[0].weightsSha256).toBe(standardSha)
    expect(result.inputs).toEqual([
      { source: join(imagesDir, 'a.png'), originalSize: [32, 32] },
      { source: join(imagesDir, 'b.png'), originalSize: [40, 40], crop: { x: 0, y: 0, width: 40, height: 40 } }
    ])
    const probs = decodeNpy(readFileSync(join(dir, 'probabilities-tiny-standard.npy')), 'p')
    expect(probs.shape).toEqual([2, 10])
    expect(probs.data.subarray(0, 10).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5)
    const csv = readFileSync(join(dir, 'predictions.csv'), 'utf8').trim().split('\n')
    expect(csv[0]).toBe('model,image,source,rank,class,name,p')
    expect(csv).toHaveLength(1 + 2 * 5)
    expect(result.files).toEqual(expect.arrayContaining(['predictions.csv', 'probabilities-tiny-standard.npy', 'result.json']))
  })
})

describe('method commands (fake engine)', () => {
  it('saliency of a twin run builds the app\'s job and renders each model\'s maps with one shared scale', async () => {
    const { factory, jobs } = fakeRunnerFactory()
    const dir = out('saliency')
    const r = await cli(
      ['saliency', ...base, '--model', 'tiny-standard', '--model', 'tiny-robust', '--gradient', 'score', '--n', '8', '--sigma', '0.2', '--seed', '7', '--preset', 'smoothgrad', '--shared-scale', '--out', dir, imagesDir],
      factory
    )
    expect(r.code).toBe(0)
    expect(jobs.map((j) => j.modelId)).toEqual(['tiny-standard', 'tiny-robust'])
    expect(jobs[0].params).toEqual({ method: 'saliency', gradient: 'score', classIndex: null, smoothing: { kind: 'smoothgrad', samples: 8, sigma: 0.2, clipNoisy: false }, seed: 7 })
    for (const f of ['saliency-tiny-standard.npy', 'saliency-tiny-robust.npy', 'saliency-tiny-standard-0.png', 'saliency-tiny-robust-1.png', 'input-0.png', 'input.npy']) {
      expect(existsSync(join(dir, f)), f).toBe(true)
    }
    const result = readJson(dir)
    const rendering = result.rendering as { shared: boolean; perImage: Record<string, { scale: unknown; stamp: string }[]> }
    expect(rendering.shared).toBe(true)
    expect(rendering.perImage['tiny-standard'][0].scale).toEqual(rendering.perImage['tiny-robust'][0].scale)
    expect(rendering.perImage['tiny-standard'][0].stamp).toMatch(/SmoothGrad.*class-score gradient.*smoothgrad N=8 σ=0.2.*shared scale/)
    expect(decodeNpy(readFileSync(join(dir, 'saliency-tiny-robust.npy')), 's').shape).toEqual([2, 32, 32, 3])
  })

  it('attack builds a targeted L∞ job and writes adversarials, perturbations, iterates and telemetry', async () => {
    const { factory, jobs } = fakeRunnerFactory()
    const dir = out('attack')
    const r = await cli(['attack', ...base, '--threat', 'linf', '--eps', '8/255', '--steps', '4', '--target', '2', '--random-start', '--use-best', '--restarts', '1', '--keep-iterates', '2', '--out', dir, join(imagesDir, 'a.png')], factory)
    expect(r.code).toBe(0)
    expect(jobs[0].params).toEqual({
      method: 'attack', threat: 'linf', eps: 8 / 255, stepSize: (2.5 * 8) / 255 / 4, steps: 4, targeted: true, targetClass: 2, trueClass: null,
      randomStart: true, restarts: 1, useBest: true, keepIterates: 2, seed: 0
    })
    for (const f of ['adversarial-tiny-robust.npy', 'perturbation-tiny-robust.npy', 'adversarial-tiny-robust-0.png', 'perturbation-tiny-robust-0.png', 'attack-iterates-tiny-robust.npy', 'telemetry.csv']) {
      expect(existsSync(join(dir, f)), f).toBe(true)
    }
    // PNGs: the model's 32×32 pixels as 8×8 blocks (nearest), 256×256; the .npy keeps the exact values
    const png = PNG.sync.read(readFileSync(join(dir, 'adversarial-tiny-robust-0.png')))
    expect([png.width, png.height]).toEqual([256, 256])
    const adversarial = decodeNpy(readFileSync(join(dir, 'adversarial-tiny-robust.npy')), 'a')
    for (const [x, y] of [[0, 0], [13, 21], [31, 31]]) {
      for (const [dx, dy] of [[0, 0], [7, 7], [3, 5]]) {
        const at = ((y * 8 + dy) * 256 + x * 8 + dx) * 4
        expect([...png.data.subarray(at, at + 3)]).toEqual([0, 1, 2].map((c) => Math.round(adversarial.data[(y * 32 + x) * 3 + c] * 255)))
      }
    }
    // without --model: the default pair, standard then robust, 4 steps each
    expect(jobs.map((j) => j.modelId)).toEqual(['tiny-standard', 'tiny-robust'])
    expect(readFileSync(join(dir, 'telemetry.csv'), 'utf8').trim().split('\n')).toHaveLength(1 + 2 * 4)
    const result = readJson(dir)
    expect((result.rendering as { preset: string }).preset).toBe('perturbation')
    expect((result.results as Record<string, { flippedAt: number[] }>)['tiny-robust'].flippedAt).toEqual([2])
    expect(r.stdout).toMatch(/flipped: yes, at step 2/)
  })

  it('visualize without inputs starts from gray images of the model size', async () => {
    const { factory, jobs } = fakeRunnerFactory()
    const dir = out('visualize')
    const r = await cli(['visualize', ...base, '--model', 'tiny-standard', '--feature', '3', '--fake-relu', '--steps', '5', '--count', '2', '--out', dir], factory)
    expect(r.code).toBe(0)
    expect(jobs[0].images.shape).toEqual([2, 32, 32, 3])
    expect(jobs[0].images.data.every((v) => v === 0.5)).toBe(true)
    expect(jobs[0].params).toMatchObject({ method: 'featureViz', feature: 3, fakeRelu: true, start: 'gray', eps: 1000, stepSize: 1, steps: 5 })
    expect(existsSync(join(dir, 'featureviz-tiny-standard-1.png'))).toBe(true)
    expect(readFileSync(join(dir, 'telemetry.csv'), 'utf8')).toMatch(/tiny-standard,5,1,0.2,/)
  })

  it('visualize refuses a feature outside the representation and --start image without images', async () => {
    const { factory } = fakeRunnerFactory()
    const big = await cli(['visualize', ...base, '--model', 'tiny-standard', '--feature', '999'], factory)
    expect(big.code).toBe(2)
    expect(big.stderr).toMatch(/--feature: 999 is outside tiny-standard's representation \(size 16\)/)
    expect((await cli(['visualize', ...base, '--feature', '1', '--start', 'image'], factory)).code).toBe(2)
  })

  it('activations ranks the images per requested coordinate', async () => {
    const { factory } = fakeRunnerFactory()
    const dir = out('activations')
    const r = await cli(['activations', ...base, '--model', 'tiny-standard', '--features', '1,4', '--top', '1', '--out', dir, imagesDir], factory)
    expect(r.code).toBe(0)
    const ranking = (readJson(dir).results as Record<string, { ranking: Record<string, { top: { image: number }[]; bottom: { image: number }[] }> }>)['tiny-standard'].ranking
    expect(ranking['4'].top[0].image).toBe(1)
    expect(ranking['4'].bottom[0].image).toBe(0)
    expect(readFileSync(join(dir, 'activations.csv'), 'utf8').trim().split('\n')).toHaveLength(1 + 2 * 2)
  })
})

describe('evaluate', () => {
  const dataDir = join(root, 'labelled')
  beforeAll(async () => {
    for (const cls of ['airplane', 'automobile', '2']) {
      mkdirSync(join(dataDir, 'test', cls), { recursive: true })
      for (let i = 0; i < 3; i++) pngFile(join(dataDir, 'test', cls, `${i}.png`), 32, i * 10)
    }
    await tar.c({ gzip: true, file: join(root, 'labelled.tar.gz'), cwd: dataDir }, ['test'])
  })

  it('computes accuracy per ε over class folders in batches, balanced under --limit', async () => {
    const { factory, jobs } = fakeRunnerFactory()
    const dir = out('evaluate-folder')
    const r = await cli(['evaluate', ...base, '--model', 'tiny-robust', '--data', dataDir, '--limit', '6', '--eps-list', '0,0.5', '--batch-size', '4', '--out', dir], factory)
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(jobs.map((j) => j.images.shape[0])).toEqual([4, 2])
    const result = readJson(dir)
    expect((result.params as { perClass: number[] }).perClass.slice(0, 3)).toEqual([2, 2, 2])
    // the fake engine gets labels 0 and 2 right: 4 of 6
    expect((result.results as Record<string, { accuracy: number[] }>)['tiny-robust'].accuracy).toEqual([4 / 6, 4 / 6])
    expect(readFileSync(join(dir, 'evaluate.csv'), 'utf8').trim().split('\n')[1]).toMatch(/^tiny-robust,l2,0,0\.666666/)
  })

  it('reads a .tar.gz of class folders the same way', async () => {
    const { factory, jobs } = fakeRunnerFactory()
    const r = await cli(['evaluate', ...base, '--model', 'tiny-robust', '--data', join(root, 'labelled.tar.gz'), '--threat', 'linf', '--minimal-eps', '--json'], factory)
    expect(r.code).toBe(0)
    expect(jobs[0].images.shape[0]).toBe(9)
    expect(jobs[0].params).toMatchObject({ method: 'evaluate', threat: 'linf', epsList: [0, 2 / 255, 4 / 255, 8 / 255], steps: 20, stepFactor: 2.5, minimalEps: true, labels: [0, 1, 2, 0, 1, 2, 0, 1, 2] })
    expect(JSON.parse(r.stdout).results['tiny-robust'].minimalEps).toHaveLength(9)
  })

  it('on a pool runs batches at once and still lists per-image results in file order', async () => {
    const { factory, jobs } = fakeRunnerFactory()
    const r = await cli(['evaluate', ...base, '--model', 'tiny-robust', '--data', dataDir, '--workers', '2', '--batch-size', '2', '--minimal-eps', '--json'], factory)
    expect(r.code).toBe(0)
    expect(jobs).toHaveLength(5)
    // the fake engine's minimal ε is label/10; files are taken round-robin over classes 0, 1, 2
    expect(JSON.parse(r.stdout).results['tiny-robust'].minimalEps).toEqual([0, 0.1, 0.2, 0, 0.1, 0.2, 0, 0.1, 0.2])
  })

  it('evaluates the decodable images of a set, reports a corrupt one and exits 1', async () => {
    const set = join(root, 'partly-broken')
    mkdirSync(join(set, 'airplane'), { recursive: true })
    pngFile(join(set, 'airplane', 'ok.png'), 32)
    writeFileSync(join(set, 'airplane', 'bad.png'), readFileSync(join(root, 'broken.png')))
    const { factory, jobs } = fakeRunnerFactory()
    const r = await cli(['evaluate', ...base, '--model', 'tiny-robust', '--data', set], factory)
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/error: .*partly-broken:airplane\/bad\.png: the PNG header is damaged/)
    expect(jobs[0].images.shape[0]).toBe(1)
    expect(jobs[0].params).toMatchObject({ labels: [0] })
  })

  it('reports a corrupt archive as an input error naming it', async () => {
    const bad = join(root, 'corrupt.tar.gz')
    writeFileSync(bad, readFileSync(join(root, 'labelled.tar.gz')).subarray(0, 60))
    const r = await cli(['evaluate', ...base, '--data', bad], fakeRunnerFactory().factory)
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/corrupt\.tar\.gz: cannot read the archive \((zlib: )?unexpected end of file\)/)
  })

  it('refuses a folder that is not a class of the model', async () => {
    const bad = join(root, 'bad-labels', 'zebra')
    mkdirSync(bad, { recursive: true })
    pngFile(join(bad, 'z.png'), 32)
    const r = await cli(['evaluate', ...base, '--data', join(root, 'bad-labels')], fakeRunnerFactory().factory)
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/folder 'zebra' is neither a class of the model/)
  })
})

describe('models', () => {
  it('lists the models of --models-dir', async () => {
    const r = await cli(['models', '--models-dir', modelsDir])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/tiny-robust +robust +resnet18-cifar w2 32×32 10 classes/)
  })
})

describe('every method end to end on the real engine (tiny random model, in process)', () => {
  it('saliency with SmoothGrad writes maps of the input shape for the requested class', async () => {
    const dir = out('real-saliency')
    const r = await cli(['saliency', ...base, '--model', 'tiny-standard', '--class', '3', '--variant', 'vargrad', '--n', '4', '--sigma', '0.1', '--out', dir, imagesDir])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const maps = decodeNpy(readFileSync(join(dir, 'saliency-tiny-standard.npy')), 'm')
    expect(maps.shape).toEqual([2, 32, 32, 3])
    expect(maps.data.every((v) => v >= 0)).toBe(true) // a variance
    const result = readJson(dir).results as Record<string, { classIndex: number[]; sigmaAbsolute: number[] }>
    expect(result['tiny-standard'].classIndex).toEqual([3, 3])
    expect(result['tiny-standard'].sigmaAbsolute[0]).toBeGreaterThan(0)
  })

  it('an L∞ attack keeps every adversarial pixel within ε of the input and in [0,1]', async () => {
    const dir = out('real-attack')
    const r = await cli(['attack', ...base, '--model', 'tiny-robust', '--threat', 'linf', '--eps', '4/255', '--steps', '3', '--random-start', '--out', dir, join(imagesDir, 'a.png')])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const x = decodeNpy(readFileSync(join(dir, 'input.npy')), 'x').data
    const adv = decodeNpy(readFileSync(join(dir, 'adversarial-tiny-robust.npy')), 'a').data
    let worst = 0
    for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(adv[i] - x[i]))
    expect(worst).toBeLessThanOrEqual(4 / 255 + 1e-6)
    expect(adv.every((v) => v >= 0 && v <= 1)).toBe(true)
    // the loop reports the starting point (step 0) and every step
    const steps = readFileSync(join(dir, 'telemetry.csv'), 'utf8').trim().split('\n').slice(1).map((l) => Number(l.split(',')[1]))
    expect(steps).toEqual([0, 1, 2, 3])
  })

  it('feature visualization raises the chosen coordinate from a gray start', async () => {
    const dir = out('real-visualize')
    const r = await cli(['visualize', ...base, '--model', 'tiny-standard', '--feature', '2', '--fake-relu', '--steps', '5', '--step', '2', '--out', dir])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const res = (readJson(dir).results as Record<string, { activationStart: number[]; activationEnd: number[] }>)['tiny-standard']
    expect(res.activationEnd[0]).toBeGreaterThan(res.activationStart[0])
  })

  it('activations and evaluate run on the engine', async () => {
    const act = await cli(['activations', ...base, '--model', 'tiny-standard', '--features', '0,5', '--json', imagesDir])
    expect(act.code).toBe(0)
    expect(JSON.parse(act.stdout).results['tiny-standard'].ranking['5'].top).toHaveLength(2)
    const dataDir = join(root, 'labelled')
    const ev = await cli(['evaluate', ...base, '--model', 'tiny-standard', '--data', dataDir, '--limit', '3', '--eps-list', '0,0.5', '--steps', '2', '--json'])
    expect(ev.stderr).toBe('')
    expect(ev.code).toBe(0)
    const acc = JSON.parse(ev.stdout).results['tiny-standard'].accuracy as number[]
    expect(acc).toHaveLength(2)
    expect(acc[1]).toBeLessThanOrEqual(acc[0]) // an attack never makes a model more accurate than clean
  })
})
