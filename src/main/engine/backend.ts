/**
 * Backend selection: tfjs-node-gpu > tfjs-node > wasm > cpu (architecture.md). The native bindings are optional
 * and NOT dependencies of this project: they are loaded with a dynamic import of a computed name (so no bundler
 * tries to resolve them) and skipped when absent. wasm loads its binaries from node_modules (toolchain.md §6) and
 * gets the MaxPoolGrad fix (engine-notes.md §4.1).
 */
import { createRequire } from 'node:module'
import { dirname } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm'
import type { BackendName } from './api'
import { installWasmMaxPoolGradFix } from './ops/maxpool-grad'

export const DEFAULT_BACKENDS: BackendName[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu']

/** The tfjs backend name registered for each of ours. */
const TFJS_NAME: Record<BackendName, string> = {
  'tensorflow-gpu': 'tensorflow',
  tensorflow: 'tensorflow',
  wasm: 'wasm',
  cpu: 'cpu'
}

const NATIVE_PACKAGE: Partial<Record<BackendName, string>> = {
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
  tensorflow: '@tensorflow/tfjs-node'
}

let wasmPathsSet = false

function prepareWasm(): void {
  if (wasmPathsSet) return
  // Not `require`: electron-vite's ESM output injects its own `const require` shim (toolchain.md §6).
  const nodeRequire = createRequire(import.meta.url)
  setWasmPaths(dirname(nodeRequire.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm')) + '/')
  wasmPathsSet = true
}

async function tryNative(pkg: string): Promise<boolean> {
  try {
    const name = pkg // a computed specifier: bundlers leave it alone, a missing package fails here, at run time
    await import(/* @vite-ignore */ name)
    return true
  } catch {
    return false
  }
}

async function tryBackend(name: BackendName): Promise<boolean> {
  const pkg = NATIVE_PACKAGE[name]
  if (pkg && !(await tryNative(pkg))) return false
  if (name === 'wasm') prepareWasm()
  try {
    const ok = await tf.setBackend(TFJS_NAME[name])
    if (!ok) return false
    await tf.ready()
  } catch {
    return false
  }
  if (name === 'wasm') installWasmMaxPoolGradFix()
  return true
}

/** Activates the first backend of `order` that works and returns its name. */
export async function selectBackend(order: BackendName[] = DEFAULT_BACKENDS): Promise<BackendName> {
  const tried: string[] = []
  for (const name of order) {
    if (await tryBackend(name)) return name
    tried.push(name)
  }
  throw new Error(`no TensorFlow.js backend could be started (tried: ${tried.join(', ')})`)
}
