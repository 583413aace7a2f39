/**
 * Image IO for the CLI: PNG (pngjs) and JPEG (libjpeg-turbo's decoder, as MozJPEG's wasm build from @jsquash/jpeg)
 * from bytes, checked first by the header reader the renderer
 * also uses (src/shared/image-header.ts: format, non-zero sides, the pixels a decoder will allocate, EXIF orientation), conversion to
 * RGB float in [0,1], center crop to the model's aspect ratio (times its input.cropFraction) and AREA resize (box
 * filter) to the model's size.
 *
 * The renderer decodes with Chromium, whose JPEG decoder is libjpeg-turbo with the same defaults (fancy chroma
 * upsampling, integer DCT), so the CLI sees the app's pixels (e2e/cli-parity.spec.ts compares them on the bundled
 * samples). jpeg-js, used before, upsampled chroma by nearest neighbour: up to 64 levels off per channel on the samples.
 */
import { readFileSync } from 'node:fs'
import { stat, readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { PNG } from 'pngjs'
import mozjpegFactory from '@jsquash/jpeg/codec/dec/mozjpeg_dec.js'
import { ImageHeaderError, MAX_IMAGE_FILE_BYTES, MAX_IMAGE_PIXELS, readDimensions, readImageHeader, type ImageHeader } from '../../shared/image-header'
import { InputError } from './errors'

/** Node's WebAssembly, typed here: this project's node tsconfig has no DOM lib, where its types live. */
interface WasmApi {
  compile(bytes: Uint8Array): Promise<object>
  Instance: new (module: object, imports: object) => { exports: object }
}
const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly

/** The wasm decoder, compiled from the installed package (no fetch, no network) once per process. */
const mozjpeg = await (async () => {
  const wasm = await wasmApi.compile(readFileSync(createRequire(import.meta.url).resolve('@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm')))
  return mozjpegFactory({
    noInitialRun: true,
    instantiateWasm: (imports: object, done: (instance: { exports: object }) => void) => {
      const instance = new wasmApi.Instance(wasm, imports)
      done(instance)
      return instance.exports
    }
  } as unknown as Parameters<typeof mozjpegFactory>[0])
})()

export { MAX_IMAGE_PIXELS } from '../../shared/image-header'
export const MAX_FILE_BYTES = MAX_IMAGE_FILE_BYTES

/** RGB float image, HWC, values in [0,1]. */
export interface RgbImage {
  data: Float32Array
  height: number
  width: number
}

/** 8-bit RGBA as the decoders give it. */
export interface RgbaImage {
  data: Uint8Array
  height: number
  width: number
}

/** The formats the CLI decodes. */
export type ImageFormat = 'png' | 'jpeg'
const FORMATS: readonly ImageFormat[] = ['png', 'jpeg']

/**
 * The decoders, one per format. Each is called only after readImageHeader checked, from the header, the pixels it
 * will allocate; decodeImage names the file in whatever a decoder throws and checks what it returns.
 */
const DECODERS: Record<ImageFormat, (bytes: Uint8Array) => RgbaImage> = {
  png: (bytes) => {
    const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))
    return { data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength), width: png.width, height: png.height }
  },
  jpeg: (bytes) => {
    const decoded = mozjpeg.decode(bytes, false) // false: as stored; decodeImage applies the orientation
    if (!decoded) throw new Error('the decoder gave no image')
    return { data: new Uint8Array(decoded.data.buffer, decoded.data.byteOffset, decoded.data.byteLength), width: decoded.width, height: decoded.height }
  }
}

export interface JpegInfo {
  width: number
  height: number
  /** EXIF orientation 1–8 (1 = as stored). */
  orientation: number
}

/** Frame size and EXIF orientation of JPEG bytes, or null when the header is unreadable. */
export function readJpegInfo(bytes: Uint8Array): JpegInfo | null {
  const dims = readDimensions(bytes, 'jpeg')
  return dims && { width: dims.width, height: dims.height, orientation: dims.orientation }
}

/** Apply an EXIF orientation so the result is the image as it should be displayed. */
export function applyOrientation(img: RgbaImage, orientation: number): RgbaImage {
  if (orientation <= 1 || orientation > 8) return img
  const W = img.width
  const H = img.height
  const transposed = orientation >= 5
  const width = transposed ? H : W
  const height = transposed ? W : H
  const out = new Uint8Array(width * height * 4)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      // (column, row) in the stored image for displayed (x, y), per the EXIF 2.3 orientation table
      let c: number
      let r: number
      switch (orientation) {
        case 2: [c, r] = [W - 1 - x, y]; break
        case 3: [c, r] = [W - 1 - x, H - 1 - y]; break
        case 4: [c, r] = [x, H - 1 - y]; break
        case 5: [c, r] = [y, x]; break
        case 6: [c, r] = [y, H - 1 - x]; break
        case 7: [c, r] = [W - 1 - y, H - 1 - x]; break
        default: [c, r] = [W - 1 - y, x]; break // 8
      }
      const src = 4 * (r * W + c)
      const dst = 4 * (y * width + x)
      out[dst] = img.data[src]
      out[dst + 1] = img.data[src + 1]
      out[dst + 2] = img.data[src + 2]
      out[dst + 3] = img.data[src + 3]
    }
  }
  return { data: out, width, height }
}

// ───────────────────────────── decode / encode ─────────────────────────────

/** Decode PNG or JPEG bytes (detected by content, not by name) to 8-bit RGBA, EXIF orientation applied. */
export function decodeImage(bytes: Uint8Array, source: string): RgbaImage {
  let header: ImageHeader
  try {
    header = readImageHeader(source, bytes, FORMATS)
  } catch (e) {
    throw e instanceof ImageHeaderError ? new InputError(e.message) : e
  }
  const format = header.format as ImageFormat
  const name = format.toUpperCase()
  let decoded: RgbaImage
  try {
    decoded = DECODERS[format](bytes)
  } catch (e) {
    throw new InputError(`${source}: corrupt ${name} (${(e as Error).message})`)
  }
  if (decoded.width !== header.width || decoded.height !== header.height || decoded.data.length !== decoded.width * decoded.height * 4) {
    throw new InputError(`${source}: corrupt ${name} (the header says ${header.width}×${header.height}, the data decodes to ${decoded.width}×${decoded.height})`)
  }
  return applyOrientation(decoded, header.orientation)
}

/** Read and decode an image file; size checked before reading. */
export async function readImageFile(path: string): Promise<RgbaImage> {
  let size: number
  try {
    const info = await stat(path)
    // a FIFO or device would block the read or never end
    if (!info.isFile()) throw new InputError(`${path}: not a regular file`)
    size = info.size
  } catch (e) {
    if (e instanceof InputError) throw e
    throw new InputError(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`)
  }
  if (size > MAX_FILE_BYTES) throw new InputError(`${path}: file is ${size} bytes; at most 64 MiB are accepted`)
  const bytes = await readFile(path).catch((e: NodeJS.ErrnoException) => {
    throw new InputError(`${path}: cannot read (${e.code ?? e.message})`)
  })
  return decodeImage(bytes, path)
}

/** RGBA bytes to RGB float in [0,1]; alpha is dropped (the renderer's canvas does the same: unpremultiplied RGB). */
export function toRgbFloat(img: RgbaImage): RgbImage {
  const pixels = img.width * img.height
  const data = new Float32Array(pixels * 3)
  for (let p = 0; p < pixels; p++) {
    data[3 * p] = img.data[4 * p] / 255
    data[3 * p + 1] = img.data[4 * p + 1] / 255
    data[3 * p + 2] = img.data[4 * p + 2] / 255
  }
  return { data, width: img.width, height: img.height }
}

/** Encode RGBA bytes as PNG. */
export function encodePng(rgba: Uint8Array | Uint8ClampedArray, width: number, height: number): Uint8Array {
  const png = new PNG({ width, height })
  png.data = Buffer.from(rgba.buffer, rgba.byteOffset, rgba.byteLength)
  return PNG.sync.write(png)
}

/** RGB float [0,1] (HWC) to RGBA bytes, for writing images such as adversarial examples. */
export function rgbFloatToRgba(data: Float32Array, width: number, height: number): Uint8ClampedArray {
  const out = new Uint8ClampedArray(width * height * 4)
  for (let p = 0; p < width * height; p++) {
    out[4 * p] = data[3 * p] * 255
    out[4 * p + 1] = data[3 * p + 1] * 255
    out[4 * p + 2] = data[3 * p + 2] * 255
    out[4 * p + 3] = 255
  }
  return out
}

// ───────────────────────────── crop and resize ─────────────────────────────

/**
 * The centered window with the target's aspect ratio: the largest one, scaled by `fraction` (the model's
 * input.cropFraction: e.g. 128/146 for a model evaluated on a 128 crop of a 146 short side). {x, y, width, height}
 * in source pixels.
 */
export function centerCropBox(width: number, height: number, targetWidth: number, targetHeight: number, fraction = 1): { x: number; y: number; width: number; height: number } {
  // compare W/H with w/h without division: W·h vs w·H
  let w = width
  let h = height
  if (width * targetHeight > targetWidth * height) w = Math.max(1, Math.round((height * targetWidth) / targetHeight))
  else h = Math.max(1, Math.round((width * targetHeight) / targetWidth))
  if (fraction !== 1) {
    w = Math.max(1, Math.round(w * fraction))
    h = Math.max(1, Math.round(h * fraction))
  }
  return { x: Math.floor((width - w) / 2), y: Math.floor((height - h) / 2), width: w, height: h }
}

/**
 * Per output index, the source indices and weights of an area (box) filter: output o covers the source interval
 * [o·s, (o+1)·s) with s = source/target, and each source pixel weighs by its overlap. For an integer factor this is
 * the exact mean of s×s blocks; for upscaling it is pixel replication with blended seams.
 */
export function areaWeights(source: number, target: number): { index: number; weight: number }[][] {
  const s = source / target
  const out: { index: number; weight: number }[][] = []
  for (let o = 0; o < target; o++) {
    const lo = o * s
    const hi = (o + 1) * s
    const taps: { index: number; weight: number }[] = []
    for (let i = Math.floor(lo); i < Math.min(source, Math.ceil(hi)); i++) {
      const overlap = Math.min(hi, i + 1) - Math.max(lo, i)
      if (overlap > 1e-12) taps.push({ index: i, weight: overlap / s })
    }
    out.push(taps)
  }
  return out
}

/** Crop a window of an RGB image, then area-resize it to targetWidth × targetHeight (separable: rows, then columns). */
export function cropAndResize(img: RgbImage, box: { x: number; y: number; width: number; height: number }, targetWidth: number, targetHeight: number): RgbImage {
  const xw = areaWeights(box.width, targetWidth)
  const yw = areaWeights(box.height, targetHeight)
  // horizontal pass over the rows of the box
  const tmp = new Float64Array(box.height * targetWidth * 3)
  for (let r = 0; r < box.height; r++) {
    const row = (box.y + r) * img.width
    for (let o = 0; o < targetWidth; o++) {
      let a = 0
      let b = 0
      let c = 0
      for (const { index, weight } of xw[o]) {
        const p = 3 * (row + box.x + index)
        a += weight * img.data[p]
        b += weight * img.data[p + 1]
        c += weight * img.data[p + 2]
      }
      const q = 3 * (r * targetWidth + o)
      tmp[q] = a
      tmp[q + 1] = b
      tmp[q + 2] = c
    }
  }
  const out = new Float32Array(targetHeight * targetWidth * 3)
  for (let o = 0; o < targetHeight; o++) {
    for (let x = 0; x < targetWidth; x++) {
      let a = 0
      let b = 0
      let c = 0
      for (const { index, weight } of yw[o]) {
        const q = 3 * (index * targetWidth + x)
        a += weight * tmp[q]
        b += weight * tmp[q + 1]
        c += weight * tmp[q + 2]
      }
      const p = 3 * (o * targetWidth + x)
      // weights sum to 1 up to rounding: keep the result inside [0,1]
      out[p] = Math.min(1, Math.max(0, a))
      out[p + 1] = Math.min(1, Math.max(0, b))
      out[p + 2] = Math.min(1, Math.max(0, c))
    }
  }
  return { data: out, width: targetWidth, height: targetHeight }
}

/**
 * Center-crop to the target aspect ratio (times `cropFraction`), then area-resize to the target size. Same-size
 * images are returned as is when the whole image is the crop.
 */
export function fitToModel(img: RgbImage, targetWidth: number, targetHeight: number, cropFraction = 1): RgbImage {
  if (img.width === targetWidth && img.height === targetHeight && cropFraction === 1) return img
  return cropAndResize(img, centerCropBox(img.width, img.height, targetWidth, targetHeight, cropFraction), targetWidth, targetHeight)
}

/** File → model-sized RGB float image. */
export async function loadImageForModel(path: string, targetWidth: number, targetHeight: number, cropFraction = 1): Promise<RgbImage> {
  return fitToModel(toRgbFloat(await readImageFile(path)), targetWidth, targetHeight, cropFraction)
}
