/**
 * Starting a TF.js backend in this thread: tfjs-node-gpu, tfjs-node, wasm, cpu (architecture.md). The native bindings are optional
 * and NOT dependencies of this project: they are loaded with a dynamic import of a computed name (so no bundler
 * tries to resolve them) and skipped when absent. wasm loads its binaries from node_modules (toolchain.md §6) and
 * gets the MaxPoolGrad fix (engine-notes.md §4.1).
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import { dirname, join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm'
import { installWasmMaxPoolGradFix } from './ops/maxpool-grad'

/** The engine's names of the TF.js backends (api.ts BackendName). */
export type TfjsBackendName = 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu'
type BackendName = TfjsBackendName

export const TFJS_BACKENDS: TfjsBackendName[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu']

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

let wasmPrepared = false
let wasmThreadsInUse = 1

/** Threads the wasm backend of this process (thread) actually runs with. */
export function wasmThreads(): number {
  return wasmThreadsInUse
}

/**
 * Threaded-SIMD wasm in Node (engine-notes.md §6.2). tfjs hard-codes WASM_HAS_MULTITHREAD_SUPPORT = false in Node
 * and hands Emscripten blob: URLs that Node's worker_threads cannot load. This writes the pthread worker and the
 * module factory to real files and points URL.createObjectURL at them. It relies on tfjs-backend-wasm 4.22.0
 * internals (file names under wasm-out/, the worker source's escaping, Blob types), hence the exact version pin.
 * The C++ pool is min(requested, logical cores / 2, 8), so os.cpus() is padded — call this only inside a compute
 * worker (it patches os.cpus and URL.createObjectURL of the current thread).
 */
function enableNodeThreadedWasm(threads: number): void {
  // Not `require`: electron-vite's ESM output injects its own `const require` shim (toolchain.md §6).
  const nodeRequire = createRequire(import.meta.url)
  const wasmOut = dirname(nodeRequire.resolve('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js'))
  const dir = mkdtempSync(join(os.tmpdir(), 'robust-lens-wasm-mt-'))
  const mainJs = join(dir, 'main.js')
  const workerJs = join(dir, 'worker.js')
  const factory = nodeRequire(join(wasmOut, 'tfjs-backend-wasm-threaded-simd.js')) as { default?: unknown }
  writeFileSync(mainJs, 'var WasmBackendModuleThreadedSimd = ' + String(factory.default ?? factory) + ';\n')
  const { wasmWorkerContents } = nodeRequire(join(wasmOut, 'tfjs-backend-wasm-threaded-simd.worker.js')) as { wasmWorkerContents: string }
  writeFileSync(
    workerJs,
    `URL.createObjectURL = () => ${JSON.stringify(mainJs)}; URL.revokeObjectURL = () => {};\n` + wasmWorkerContents.replace(/\n/g, '\\n') // the escaping tfjs applies
  )
  URL.createObjectURL = (blob: Blob) => (blob?.type === 'application/javascript' ? workerJs : mainJs)
  const realCpus = os.cpus.bind(os)
  os.cpus = () => {
    const cpus = realCpus()
    while (cpus.length < 2 * threads) cpus.push(cpus[0])
    return cpus
  }
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true)
  setThreadsCount(threads)
}

function prepareWasm(threads: number): void {
  if (wasmPrepared) return
  const nodeRequire = createRequire(import.meta.url)
  if (threads > 1) {
    try {
      enableNodeThreadedWasm(threads)
      wasmThreadsInUse = threads
    } catch {
      wasmThreadsInUse = 1 // single-threaded SIMD still works
    }
  }
  setWasmPaths(dirname(nodeRequire.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm')) + '/')
  wasmPrepared = true
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

async function tryBackend(name: BackendName, threads: number): Promise<boolean> {
  const pkg = NATIVE_PACKAGE[name]
  if (pkg && !(await tryNative(pkg))) return false
  if (name === 'wasm') prepareWasm(threads)
  let ok = await activate(name)
  if (!ok && name === 'wasm' && wasmThreadsInUse > 1) {
    // the threaded module did not start (it leans on tfjs internals): single-threaded SIMD instead of no wasm at all
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false)
    setThreadsCount(1)
    wasmThreadsInUse = 1
    ok = await activate(name)
  }
  if (ok && name === 'wasm') installWasmMaxPoolGradFix()
  return ok
}

async function activate(name: BackendName): Promise<boolean> {
  try {
    if (!(await tf.setBackend(TFJS_NAME[name]))) return false
    await tf.ready()
    return true
  } catch {
    return false
  }
}

/** Activates TF.js backend `name` in this thread; throws with the reason when it cannot be started. */
export async function startTfjsBackend(name: BackendName, threads = 1): Promise<void> {
  if (!(await tryBackend(name, threads))) {
    const pkg = NATIVE_PACKAGE[name]
    throw new Error(pkg ? `${pkg} is not installed or did not start` : `TensorFlow.js backend ${name} did not start`)
  }
}

/**
 * Activates the first TF.js backend of `order` that works and returns its name (tests and the bench switch the
 * active TF.js backend with this; the engine selects through backends/registry.ts). `threads` > 1 asks for threaded
 * wasm (only honoured by the first wasm initialisation in a thread; falls back to single-threaded if enabling throws).
 */
export async function selectBackend(order: BackendName[] = TFJS_BACKENDS, threads = 1): Promise<BackendName> {
  const tried: string[] = []
  for (const name of order) {
    if (await tryBackend(name, threads)) return name
    tried.push(name)
  }
  throw new Error(`no TensorFlow.js backend could be started (tried: ${tried.join(', ')})`)
}
