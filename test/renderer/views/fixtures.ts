import type { ModelInfo } from '../../../src/shared/model-format'

export const CIFAR = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck']

/** A ModelInfo as models:list returns it, without weights. */
export function fakeModel(role: 'standard' | 'robust', side = 32, representation = 512): ModelInfo {
  return {
    format: 'robust-lens/model@1',
    id: `${role}-id`,
    pair: 'test-pair',
    role,
    architecture: { name: 'resnet18-cifar', width: 4 },
    input: { height: side, width: side, channels: 3, layout: 'NHWC', range: [0, 1], mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] },
    classes: CIFAR,
    representation: { name: 'penultimate', size: representation },
    training: { dataset: 'CIFAR-10', threat: role === 'robust' ? 'l2' : 'none', eps: role === 'robust' ? 0.5 : 0, attackSteps: 7, epochs: 1, seed: 0 },
    metrics: { clean: 0.5, robust: {}, evaluatedWith: 'test' },
    sizeBytes: 1000
  }
}
