/**
 * The TF.js backends as classifier factories (backends/registry.ts): tensorflow-gpu and tensorflow (the optional
 * native bindings), wasm (fast path with the MaxPoolGrad fix, optional threaded SIMD) and cpu. They share one TF.js
 * engine per thread, so starting one makes it the active TF.js backend.
 */
import * as tf from '@tensorflow/tfjs'
import type { ClassifierFactory } from '../../classifier'
import { TfjsClassifier } from './classifier'
import { startTfjsBackend, wasmThreads, type TfjsBackendName } from './runtime'

export { TfjsClassifier }

export function tfjsFactory(name: TfjsBackendName): ClassifierFactory {
  return {
    name,
    async start({ threads }) {
      await startTfjsBackend(name, threads)
      // keep tfjs's "use tfjs-node" banner and kernel warnings off stdout in workers and the CLI
      tf.env().set('PROD', true)
    },
    async create(model, options) {
      return TfjsClassifier.create(name, model, options)
    },
    threads: () => (name === 'wasm' ? wasmThreads() : 1)
  }
}
