/**
 * Random-weight models in the real format (docs/model-format.md), for tests, the e2e suite and the benchmark.
 * Weights are He-normal (BatchNorm folded → plain conv + bias), seeded, so the same options give the same file.
 */
import { createHash } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { MODEL_FORMAT, type ModelSpec } from '../../../shared/model-format'
import { Rng } from '../rng'
import { expectedWeights, networkLayout, type ArchitectureName } from './layout'

export const CIFAR10_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck']
const CIFAR10_MEAN: [number, number, number] = [0.4914, 0.4822, 0.4465]
const CIFAR10_STD: [number, number, number] = [0.2023, 0.1994, 0.201]

export interface RandomModelOptions {
  id: string
  /** Pair id (models with the same pair are compared side by side); default: the id. */
  pair?: string
  role?: 'standard' | 'robust'
  architecture?: ArchitectureName
  /** Default 4 (tiny and fast); 64 is the real CIFAR ResNet-18. */
  width?: number
  seed?: number
  /** Class names; default CIFAR-10's. */
  classes?: string[]
  /** Input height = width; default 32. */
  inputSize?: number
  /** Write weightsSha256 into model.json (default true). */
  withSha256?: boolean
}

export interface RandomModel {
  /** The model folder: `${modelsDir}/${id}`. */
  dir: string
  spec: ModelSpec
  weightsSha256: string
}

/** A random model in memory: the spec (as model.json would hold it) and its weights by name, plus the bytes of weights.bin. */
export function randomModelWeights(options: RandomModelOptions): { spec: ModelSpec; weights: Map<string, Float32Array>; bytes: Buffer; weightsSha256: string } {
  const architecture = options.architecture ?? 'resnet18-cifar'
  const width = options.width ?? 4
  const classes = options.classes ?? CIFAR10_CLASSES
  const size = options.inputSize ?? 32
  const rng = new Rng(options.seed ?? 0)
  const layout = networkLayout(architecture, width, classes.length)
  const entries = expectedWeights(layout)
  const arrays = entries.map(({ name, shape }) => {
    const count = shape.reduce((a, b) => a * b, 1)
    if (name.endsWith('.bias')) return rng.gaussianArray(count, 0.01)
    const fanIn = shape.length === 4 ? shape[0] * shape[1] * shape[2] : shape[0]
    // He init; the last conv of each residual branch scaled down so depth does not blow activations up
    const scale = /\.conv2\.weight$|\.conv3\.weight$/.test(name) && !/resnet50/.test(architecture) ? 0.5 : 1
    return rng.gaussianArray(count, scale * Math.sqrt((name === 'fc.weight' ? 1 : 2) / fanIn))
  })
  const bytes = Buffer.concat(arrays.map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength)))
  const weightsSha256 = createHash('sha256').update(bytes).digest('hex')
  const spec: ModelSpec = {
    format: MODEL_FORMAT,
    id: options.id,
    pair: options.pair ?? options.id,
    role: options.role ?? 'standard',
    architecture: { name: architecture, width },
    input: {
      height: size,
      width: size,
      channels: 3,
      layout: 'NHWC',
      range: [0, 1],
      mean: architecture === 'resnet18-cifar' ? CIFAR10_MEAN : [0.485, 0.456, 0.406],
      std: architecture === 'resnet18-cifar' ? CIFAR10_STD : [0.229, 0.224, 0.225]
    },
    classes,
    representation: { name: 'penultimate', size: layout.representationSize },
    training: { dataset: 'random', threat: 'none', eps: 0, attackSteps: 0, epochs: 0, seed: options.seed ?? 0, notes: 'random weights (writeRandomModel)' },
    metrics: { clean: 0, robust: {}, evaluatedWith: 'not evaluated (random weights)' },
    ...(options.withSha256 === false ? {} : { weightsSha256 }),
    weightsManifest: [{ paths: ['weights.bin'], weights: entries.map((e) => ({ name: e.name, shape: e.shape, dtype: 'float32' as const })) }]
  }
  return { spec, weights: new Map(entries.map((e, i) => [e.name, arrays[i]])), bytes, weightsSha256 }
}

/** Writes `${modelsDir}/${options.id}/model.json` + `weights.bin` and returns the folder. */
export async function writeRandomModel(modelsDir: string, options: RandomModelOptions): Promise<RandomModel> {
  const { spec, bytes, weightsSha256 } = randomModelWeights(options)
  const dir = join(modelsDir, options.id)
  await mkdir(dir, { recursive: true })
  await writeFile(join(dir, 'weights.bin'), bytes)
  await writeFile(join(dir, 'model.json'), JSON.stringify(spec, null, 2) + '\n')
  return { dir, spec, weightsSha256 }
}
