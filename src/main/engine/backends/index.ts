/**
 * The built-in backends, by name. A new backend plugs in with one line here (its ClassifierFactory); the engine
 * starts the first of the requested order that starts and passes its self-check (registry.ts).
 */
import { onnxFactory } from './onnx/index'
import type { BackendFactories } from './registry'
import { tfjsFactory } from './tfjs/index'

export const BUILT_IN_BACKENDS: BackendFactories = {
  'tensorflow-gpu': tfjsFactory('tensorflow-gpu'),
  tensorflow: tfjsFactory('tensorflow'),
  onnxruntime: onnxFactory(),
  wasm: tfjsFactory('wasm'),
  cpu: tfjsFactory('cpu')
}

export { BACKEND_NAMES, DEFAULT_BACKENDS, selectClassifierBackend, type BackendAttempt, type BackendFactories, type BackendName } from './registry'
