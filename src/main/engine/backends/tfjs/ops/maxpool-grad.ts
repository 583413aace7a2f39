/**
 * A correct MaxPoolGrad for the wasm backend (engine-notes.md §4.1).
 *
 * tfjs-backend-wasm 4.22 initialises its running max with FLT_MIN (the smallest *positive* float), so windows whose
 * values are all ≤ ~1e-38 (e.g. all negative) lose their gradient; it is also slow. This JS kernel has the cpu
 * backend's semantics (the first maximum in row-major window order gets the gradient) and works on zero-copy views
 * of the wasm heap.
 */
import * as tf from '@tensorflow/tfjs'
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm'

interface MaxPoolGradAttrs {
  filterSize: [number, number] | number
  strides: [number, number] | number
  pad: 'valid' | 'same' | number
  dimRoundingMode?: 'floor' | 'round' | 'ceil'
}

const maxPoolGradKernel: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, input } = inputs as { dy: tf.TensorInfo; input: tf.TensorInfo }
  const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as MaxPoolGradAttrs
  const wasm = backend as BackendWasm
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    filterSize,
    strides,
    1,
    pad,
    dimRoundingMode
  )
  const out = wasm.makeOutput(input.shape, 'float32')
  // Views only after makeOutput: allocating can grow the heap and detach older views.
  const x = wasm.typedArrayFromHeap(input) as Float32Array
  const g = wasm.typedArrayFromHeap(dy) as Float32Array
  const dx = wasm.typedArrayFromHeap(out) as Float32Array
  dx.fill(0)
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: ho, outWidth: wo } = info
  const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = info
  const kh = info.effectiveFilterHeight
  const kw = info.effectiveFilterWidth
  const pt = info.padInfo.top
  const pl = info.padInfo.left
  const best = new Float32Array(c)
  const bestIndex = new Int32Array(c)
  for (let b = 0; b < n; b++) {
    for (let oh = 0; oh < ho; oh++) {
      const h0 = oh * sh - pt
      let hs = h0
      while (hs < 0) hs += dh
      const he = Math.min(h, h0 + kh)
      for (let ow = 0; ow < wo; ow++) {
        const w0 = ow * sw - pl
        let ws = w0
        while (ws < 0) ws += dw
        const we = Math.min(w, w0 + kw)
        best.fill(-Infinity)
        bestIndex.fill(-1)
        for (let ih = hs; ih < he; ih += dh) {
          for (let iw = ws; iw < we; iw += dw) {
            const base = ((b * h + ih) * w + iw) * c
            for (let ch = 0; ch < c; ch++) {
              const v = x[base + ch]
              if (v > best[ch]) {
                best[ch] = v
                bestIndex[ch] = base + ch
              }
            }
          }
        }
        const outBase = ((b * ho + oh) * wo + ow) * c
        for (let ch = 0; ch < c; ch++) if (bestIndex[ch] >= 0) dx[bestIndex[ch]] += g[outBase + ch]
      }
    }
  }
  return out
}

let installed = false

/** Replaces wasm's MaxPoolGrad with the JS kernel; idempotent. Call after the wasm backend is registered. */
export function installWasmMaxPoolGradFix(): void {
  if (installed) return
  if (tf.getKernel('MaxPoolGrad', 'wasm')) tf.unregisterKernel('MaxPoolGrad', 'wasm')
  tf.registerKernel({ kernelName: 'MaxPoolGrad', backendName: 'wasm', kernelFunc: maxPoolGradKernel })
  installed = true
}
