/**
 * ONNX Runtime as a classifier factory (backends/registry.ts). `start` loads the native binding (a missing or
 * broken binary for this platform throws here, and selection moves on to the next backend); the thread count is
 * the intra-op pool of every session this thread creates (the worker's share of the cores, compute/layout.ts).
 */
import type { ClassifierFactory } from '../../classifier'
import { networkLayout } from '../../models/layout'
import { OnnxClassifier, type OnnxRuntime } from './classifier'

export { OnnxClassifier }

export function onnxFactory(): ClassifierFactory {
  let threads = 1
  let runtime: OnnxRuntime | null = null
  return {
    name: 'onnxruntime',
    async start(options) {
      threads = Math.max(1, Math.floor(options.threads))
      const ort = (await import('onnxruntime-node')) as OnnxRuntime
      if (!ort.listSupportedBackends().some((b) => b.name === 'cpu')) throw new Error('onnxruntime-node has no CPU execution provider here')
      runtime = ort
    },
    async create(model, options) {
      if (!runtime) throw new Error('onnxruntime backend not started')
      const { spec, weights } = model
      const layout = networkLayout(spec.architecture.name, spec.architecture.width, spec.classes.length)
      const classifier = await OnnxClassifier.create(
        runtime,
        { layout, weights, mean: spec.input.mean, std: spec.input.std, height: spec.input.height, width: spec.input.width },
        { threads, maxBatch: options.maxBatch }
      )
      if (options.warmUp) {
        // one full-batch gradient: ORT plans its memory and packs the conv weights on the first run of a shape
        const n = options.maxBatch
        await classifier.gradient(new Float32Array(n * spec.input.height * spec.input.width * 3).fill(0.5), n, { kind: 'logit', indices: new Array<number>(n).fill(0) })
      }
      return classifier
    },
    threads: () => threads
  }
}
