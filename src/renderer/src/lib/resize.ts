/**
 * Crop + resize of decoded RGBA pixels to the model's input, in plain TypeScript (no canvas), so the pixels the
 * model sees are exactly reproducible and unit-testable. Area (box-filter) resampling: each output pixel is the
 * mean of the source area it covers, with fractional weights at the borders; exact for integer factors
 * (a 4×4 block → its mean). Separable: rows first, then columns.
 */

/** RGBA bytes, row-major, like ImageData (which satisfies this type). */
export interface RgbaImage {
  data: Uint8ClampedArray
  width: number
  height: number
}

/** A square region of the source image, in source pixels. */
export interface Crop {
  x: number
  y: number
  size: number
}

/**
 * The centered square of `fraction` × the short side (the model's `input.cropFraction`: the evaluation's center
 * crop, e.g. Imagenette's 128 of 146; 1 = the whole centered square).
 */
export function centerCrop(width: number, height: number, fraction = 1): Crop {
  const f = fraction > 0 && fraction <= 1 ? fraction : 1
  const size = Math.max(1, Math.round(Math.min(width, height) * f))
  return { x: Math.floor((width - size) / 2), y: Math.floor((height - size) / 2), size }
}

/** Keep a crop inside the image and at least 1 px; sizes and offsets are integers. */
export function clampCrop(crop: Crop, width: number, height: number): Crop {
  const size = Math.max(1, Math.min(Math.round(crop.size), width, height))
  const x = Math.min(Math.max(0, Math.round(crop.x)), width - size)
  const y = Math.min(Math.max(0, Math.round(crop.y)), height - size)
  return { x, y, size }
}

/**
 * Area weights for `outLen` output cells over the source cells [start, start+srcLen), flattened into typed arrays
 * (cell o uses source cells first[o] … first[o]+count[o]−1 with weights weight[offset[o] …]): the inner loops then
 * touch only typed arrays, which keeps a 1024² crop well under a frame.
 */
interface Taps {
  first: Int32Array
  count: Int32Array
  offset: Int32Array
  weight: Float64Array
}

function areaTaps(start: number, srcLen: number, outLen: number): Taps {
  const scale = srcLen / outLen
  const first = new Int32Array(outLen)
  const count = new Int32Array(outLen)
  const offset = new Int32Array(outLen)
  const weights: number[] = []
  for (let o = 0; o < outLen; o++) {
    const from = o * scale
    const to = from + scale
    const lo = Math.floor(from)
    const hi = Math.min(Math.ceil(to), srcLen)
    first[o] = start + lo
    offset[o] = weights.length
    for (let s = lo; s < hi; s++) weights.push(Math.max(0, Math.min(to, s + 1) - Math.max(from, s)) / scale)
    count[o] = hi - lo
  }
  return { first, count, offset, weight: Float64Array.from(weights) }
}

let scratchBuffer = new Float64Array(0)
function scratch(length: number): Float64Array {
  if (scratchBuffer.length < length) scratchBuffer = new Float64Array(length)
  return scratchBuffer
}

/**
 * The crop of `image`, resized to outHeight×outWidth, as RGB float32 in [0,1] (HWC), written into `out` at
 * `offset` (so a batch can be filled without copies). Alpha is ignored: decoding composites onto white.
 */
export function cropResizeRgb(
  image: RgbaImage,
  crop: Crop,
  outHeight: number,
  outWidth: number,
  out: Float32Array = new Float32Array(outHeight * outWidth * 3),
  offset = 0
): Float32Array {
  const c = clampCrop(crop, image.width, image.height)
  const xt = areaTaps(c.x, c.size, outWidth)
  const yt = areaTaps(c.y, c.size, outHeight)
  const src = image.data
  const { first: xFirst, count: xCount, offset: xOffset, weight: xWeight } = xt
  // pass 1: every source row of the crop → outWidth RGB values (in a reused scratch buffer: a crop drag resamples
  // every frame, and fresh half-megabyte arrays per frame invite long GC pauses)
  const rows = scratch(c.size * outWidth * 3)
  for (let r = 0; r < c.size; r++) {
    const rowBase = (c.y + r) * image.width * 4
    for (let ox = 0; ox < outWidth; ox++) {
      let red = 0
      let green = 0
      let blue = 0
      let p = rowBase + xFirst[ox] * 4
      for (let k = xOffset[ox], end = k + xCount[ox]; k < end; k++, p += 4) {
        const w = xWeight[k]
        red += src[p] * w
        green += src[p + 1] * w
        blue += src[p + 2] * w
      }
      const q = (r * outWidth + ox) * 3
      rows[q] = red
      rows[q + 1] = green
      rows[q + 2] = blue
    }
  }
  // pass 2: columns, and scale bytes to [0,1]
  for (let oy = 0; oy < outHeight; oy++) {
    for (let ox = 0; ox < outWidth; ox++) {
      let red = 0
      let green = 0
      let blue = 0
      let q = ((yt.first[oy] - c.y) * outWidth + ox) * 3
      for (let k = yt.offset[oy], end = k + yt.count[oy]; k < end; k++, q += outWidth * 3) {
        const w = yt.weight[k]
        red += rows[q] * w
        green += rows[q + 1] * w
        blue += rows[q + 2] * w
      }
      const o = offset + (oy * outWidth + ox) * 3
      // rounding error of the weights can leave 1.0000001: the IPC validator refuses anything outside [0,1]
      out[o] = Math.min(1, Math.max(0, red / 255))
      out[o + 1] = Math.min(1, Math.max(0, green / 255))
      out[o + 2] = Math.min(1, Math.max(0, blue / 255))
    }
  }
  return out
}

/** RGB float [0,1] HWC → RGBA bytes (for drawing an image-like array, e.g. an adversarial example). */
export function rgbFloatToRgba(values: Float32Array, height: number, width: number, offset = 0): Uint8ClampedArray<ArrayBuffer> {
  const out = new Uint8ClampedArray(height * width * 4)
  for (let i = 0, n = height * width; i < n; i++) {
    out[i * 4] = values[offset + i * 3] * 255
    out[i * 4 + 1] = values[offset + i * 3 + 1] * 255
    out[i * 4 + 2] = values[offset + i * 3 + 2] * 255
    out[i * 4 + 3] = 255
  }
  return out
}
