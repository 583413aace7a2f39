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

export function centerCrop(width: number, height: number): Crop {
  const size = Math.min(width, height)
  return { x: Math.floor((width - size) / 2), y: Math.floor((height - size) / 2), size }
}

/** Keep a crop inside the image and at least 1 px; sizes and offsets are integers. */
export function clampCrop(crop: Crop, width: number, height: number): Crop {
  const size = Math.max(1, Math.min(Math.round(crop.size), width, height))
  const x = Math.min(Math.max(0, Math.round(crop.x)), width - size)
  const y = Math.min(Math.max(0, Math.round(crop.y)), height - size)
  return { x, y, size }
}

interface Tap {
  index: number
  weight: number
}

/** For each of `outLen` output cells: the source cells in [start, start+srcLen) it covers and their weights. */
function areaTaps(start: number, srcLen: number, outLen: number): Tap[][] {
  const scale = srcLen / outLen
  const taps: Tap[][] = []
  for (let o = 0; o < outLen; o++) {
    const from = o * scale
    const to = from + scale
    const list: Tap[] = []
    for (let s = Math.floor(from); s < Math.ceil(to) && s < srcLen; s++) {
      const overlap = Math.min(to, s + 1) - Math.max(from, s)
      if (overlap > 1e-9) list.push({ index: start + s, weight: overlap / scale })
    }
    taps.push(list)
  }
  return taps
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
  const xTaps = areaTaps(c.x, c.size, outWidth)
  const yTaps = areaTaps(c.y, c.size, outHeight)
  const src = image.data
  // pass 1: every source row of the crop → outWidth RGB values
  const rows = new Float32Array(c.size * outWidth * 3)
  for (let r = 0; r < c.size; r++) {
    const rowBase = (c.y + r) * image.width * 4
    for (let ox = 0; ox < outWidth; ox++) {
      let red = 0
      let green = 0
      let blue = 0
      for (const t of xTaps[ox]) {
        const p = rowBase + t.index * 4
        red += src[p] * t.weight
        green += src[p + 1] * t.weight
        blue += src[p + 2] * t.weight
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
      for (const t of yTaps[oy]) {
        const q = ((t.index - c.y) * outWidth + ox) * 3
        red += rows[q] * t.weight
        green += rows[q + 1] * t.weight
        blue += rows[q + 2] * t.weight
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
