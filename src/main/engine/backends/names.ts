/**
 * Backend names (no imports but the shared list: the main process, the CLI's argument checks, the settings and the
 * worker protocol use these). The list itself lives in src/shared/settings.ts, where the `backend` setting needs it.
 */
import { COMPUTE_BACKENDS, type ComputeBackend } from '../../../shared/settings'

export type BackendName = ComputeBackend

/** Every backend name, in the default order of preference (issue 12: tfjs-node-gpu → tfjs-node → ONNX Runtime → wasm → cpu). */
export const BACKEND_NAMES: readonly BackendName[] = COMPUTE_BACKENDS
