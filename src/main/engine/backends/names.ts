/** Backend names (no imports: the main process, the CLI's argument checks and the worker protocol use these). */
export type BackendName = 'tensorflow-gpu' | 'tensorflow' | 'onnxruntime' | 'wasm' | 'cpu'

/** Every backend name, in the default order of preference (issue 12: tfjs-node-gpu → tfjs-node → ONNX Runtime → wasm → cpu). */
export const BACKEND_NAMES: readonly BackendName[] = ['tensorflow-gpu', 'tensorflow', 'onnxruntime', 'wasm', 'cpu']
