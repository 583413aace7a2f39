/**
 * The layer layout of each supported architecture (docs/model-format.md): conv layers with their geometry and
 * weight names, blocks, and the expected weight list. The loader validates files against it, the builder turns it
 * into a network, the random-model writer fills it with random numbers.
 */
import type { ModelSpec } from '../../../shared/model-format'

/** A conv's geometry (PyTorch padding: `pad` on every side) and whether a ReLU is fused after it. */
export interface ConvSpec {
  kernel: number
  stride: number
  pad: number
  cin: number
  cout: number
  relu: boolean
}

export type ArchitectureName = ModelSpec['architecture']['name']

/** One conv of the network: its ConvSpec (PyTorch padding, kernel // 2 on every side; ReLU fused unless the
 * residual add follows) plus where its weights are. */
export interface ConvLayout extends ConvSpec {
  /** Weight name prefix: `${name}.weight` (HWIO) and `${name}.bias`. */
  name: string
}

export interface BlockLayout {
  /** conv1, conv2 (basic) or conv1..conv3 (bottleneck), in order; the last has no ReLU. */
  convs: ConvLayout[]
  shortcut: ConvLayout | null
}

export interface NetworkLayout {
  architecture: ArchitectureName
  width: number
  stem: ConvLayout
  /** ImageNet layouts: 3×3/2 max-pool with pad 1 after the stem. */
  maxPool: boolean
  blocks: BlockLayout[]
  representationSize: number
  classes: number
}

export interface ExpectedWeight {
  name: string
  shape: number[]
}

const conv = (name: string, kernel: number, stride: number, cin: number, cout: number, relu: boolean): ConvLayout => ({
  name,
  kernel,
  stride,
  pad: Math.floor(kernel / 2),
  cin,
  cout,
  relu
})

export function networkLayout(architecture: ArchitectureName, width: number, classes: number): NetworkLayout {
  const bottleneck = architecture === 'resnet50'
  const blocksPerLayer = bottleneck ? [3, 4, 6, 3] : [2, 2, 2, 2]
  const expansion = bottleneck ? 4 : 1
  const imagenet = architecture !== 'resnet18-cifar'
  const stem = imagenet ? conv('stem.conv', 7, 2, 3, width, true) : conv('stem.conv', 3, 1, 3, width, true)
  const blocks: BlockLayout[] = []
  let cin = width
  for (let layer = 0; layer < 4; layer++) {
    const c = width * 2 ** layer
    const cout = c * expansion
    for (let b = 0; b < blocksPerLayer[layer]; b++) {
      const stride = layer > 0 && b === 0 ? 2 : 1
      const prefix = `layer${layer + 1}.${b}`
      const convs = bottleneck
        ? [
            conv(`${prefix}.conv1`, 1, 1, cin, c, true),
            conv(`${prefix}.conv2`, 3, stride, c, c, true), // torchvision v1.5: stride on the 3×3
            conv(`${prefix}.conv3`, 1, 1, c, cout, false)
          ]
        : [conv(`${prefix}.conv1`, 3, stride, cin, c, true), conv(`${prefix}.conv2`, 3, 1, c, c, false)]
      const shortcut = stride !== 1 || cin !== cout ? conv(`${prefix}.shortcut`, 1, stride, cin, cout, false) : null
      blocks.push({ convs, shortcut })
      cin = cout
    }
  }
  return { architecture, width, stem, maxPool: imagenet, blocks, representationSize: cin, classes }
}

export function allConvs(layout: NetworkLayout): ConvLayout[] {
  const out = [layout.stem]
  for (const b of layout.blocks) {
    out.push(...b.convs)
    if (b.shortcut) out.push(b.shortcut)
  }
  return out
}

/** Every weight the file must hold, in canonical order. */
export function expectedWeights(layout: NetworkLayout): ExpectedWeight[] {
  const out: ExpectedWeight[] = []
  for (const c of allConvs(layout)) {
    out.push({ name: `${c.name}.weight`, shape: [c.kernel, c.kernel, c.cin, c.cout] })
    out.push({ name: `${c.name}.bias`, shape: [c.cout] })
  }
  out.push({ name: 'fc.weight', shape: [layout.representationSize, layout.classes] })
  out.push({ name: 'fc.bias', shape: [layout.classes] })
  return out
}
