/**
 * What an image file says about itself, read before any decoder runs — the one place per format where the pixels a
 * decoder will allocate are known, for the renderer (createImageBitmap) and the CLI (pngjs / its JPEG decoder)
 * alike. Every read is bounds-checked: a truncated or lying header is a named, specific error, never a RangeError.
 *
 * "Pixels to allocate" is the largest buffer any part of the file asks for, not the size the header advertises
 * first: a GIF frame or a WebP bitstream may be far larger than the logical screen / canvas around it, and APNG
 * frames are checked against the PNG canvas. Pure functions over bytes (no DOM, no Node).
 */

export type ImageFormat = 'png' | 'jpeg' | 'gif' | 'webp' | 'bmp'

/** Files larger than this are refused unread. */
export const MAX_IMAGE_FILE_BYTES = 64 * 1024 * 1024
/** Images that need more pixels than this (50 MP: 200 MB of RGBA) are refused before decoding. */
export const MAX_IMAGE_PIXELS = 50_000_000

export type ImageProblem = 'unsupported' | 'too-large' | 'too-many-pixels' | 'corrupt' | 'empty'

export class ImageHeaderError extends Error {
  constructor(
    readonly fileName: string,
    readonly reason: ImageProblem,
    message: string
  ) {
    super(message)
    this.name = 'ImageHeaderError'
  }
}

export interface ImageHeader {
  format: ImageFormat
  /** The image as shown (for JPEG: as stored; `orientation` says how to turn it). */
  width: number
  height: number
  /** The most pixels any frame or canvas of the file makes a decoder allocate (≥ width × height). */
  decodePixels: number
  /** EXIF orientation 1–8 (JPEG only; 1 = as stored). */
  orientation: number
}

export function sniffFormat(head: Uint8Array): ImageFormat | null {
  const at = (i: number): number => head[i] ?? -1
  const ascii = (from: number, s: string): boolean => [...s].every((ch, i) => at(from + i) === ch.charCodeAt(0))
  if (at(0) === 0x89 && ascii(1, 'PNG')) return 'png'
  if (at(0) === 0xff && at(1) === 0xd8 && at(2) === 0xff) return 'jpeg'
  if (ascii(0, 'GIF87a') || ascii(0, 'GIF89a')) return 'gif'
  if (ascii(0, 'RIFF') && ascii(8, 'WEBP')) return 'webp'
  if (ascii(0, 'BM')) return 'bmp'
  return null
}

/** Bounds-checked big/little-endian reads: null past the end. */
class Reader {
  private readonly view: DataView
  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  }
  get length(): number {
    return this.bytes.length
  }
  has(offset: number, size: number): boolean {
    return offset >= 0 && offset + size <= this.bytes.length
  }
  u8(o: number): number | null {
    return this.has(o, 1) ? this.bytes[o] : null
  }
  u16(o: number, little = false): number | null {
    return this.has(o, 2) ? this.view.getUint16(o, little) : null
  }
  u24le(o: number): number | null {
    return this.has(o, 3) ? this.bytes[o] | (this.bytes[o + 1] << 8) | (this.bytes[o + 2] << 16) : null
  }
  u32(o: number, little = false): number | null {
    return this.has(o, 4) ? this.view.getUint32(o, little) : null
  }
  i32le(o: number): number | null {
    return this.has(o, 4) ? this.view.getInt32(o, true) : null
  }
  ascii(o: number, n: number): string {
    return this.has(o, n) ? String.fromCharCode(...this.bytes.subarray(o, o + n)) : ''
  }
}

interface Dimensions {
  width: number
  height: number
  decodePixels: number
  orientation: number
}

const plain = (width: number, height: number): Dimensions => ({ width, height, decodePixels: width * height, orientation: 1 })

function png(r: Reader): Dimensions | null {
  if (r.ascii(12, 4) !== 'IHDR') return null
  const width = r.u32(16)
  const height = r.u32(20)
  if (width === null || height === null) return null
  // APNG frames must lie inside the canvas (decoders refuse others); a frame outside it is a damaged file
  for (let at = 8; r.has(at, 8); ) {
    const length = r.u32(at)!
    const type = r.ascii(at + 4, 4)
    if (type === 'fcTL') {
      const w = r.u32(at + 12)
      const h = r.u32(at + 16)
      const x = r.u32(at + 20)
      const y = r.u32(at + 24)
      if (w === null || h === null || x === null || y === null) break
      if (w === 0 || h === 0 || x + w > width || y + h > height) return null
    }
    if (type === 'IEND') break
    at += 12 + length
  }
  return plain(width, height)
}

/** Walk the marker segments up to the first frame header: its size (null when none or malformed) and the EXIF orientation. */
function walkJpeg(r: Reader): { frame: { width: number; height: number } | null; orientation: number } {
  let orientation = 1
  let at = 2
  const done = (frame: { width: number; height: number } | null) => ({ frame, orientation })
  while (r.has(at, 4)) {
    if (r.u8(at) !== 0xff) return done(null)
    const marker = r.u8(at + 1)!
    if (marker === 0xff) {
      at += 1 // fill byte
      continue
    }
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      at += 2 // markers without a length
      continue
    }
    const length = r.u16(at + 2)!
    if (length < 2) return done(null)
    const body = at + 4
    if (marker === 0xe1 && r.ascii(body, 4) === 'Exif') {
      orientation = exifOrientation(r, body + 6, Math.min(r.length, body + length - 2)) ?? orientation
    }
    // SOF0–SOF15 except DHT (C4), JPG (C8), DAC (CC)
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      const height = r.u16(body + 1)
      const width = r.u16(body + 3)
      return done(height === null || width === null ? null : { width, height })
    }
    if (marker === 0xda) return done(null) // scan data before any frame header
    at = body + length - 2
  }
  return done(null)
}

function jpeg(r: Reader): Dimensions | null {
  const { frame, orientation } = walkJpeg(r)
  return frame && { ...plain(frame.width, frame.height), orientation }
}

/** The EXIF orientation (1–8) of JPEG bytes, 1 when there is none; never throws. */
export function jpegOrientation(bytes: Uint8Array): number {
  return walkJpeg(new Reader(bytes)).orientation
}

/** The EXIF orientation tag inside [tiff, end), or null when absent or out of range. */
function exifOrientation(r: Reader, tiff: number, end: number): number | null {
  const order = r.u16(tiff)
  if (order !== 0x4949 && order !== 0x4d4d) return null
  const little = order === 0x4949
  const offset = r.u32(tiff + 4, little)
  if (offset === null) return null
  const ifd = tiff + offset
  const entries = ifd + 2 <= end ? r.u16(ifd, little) : null
  if (entries === null) return null
  for (let i = 0; i < entries; i++) {
    const entry = ifd + 2 + 12 * i
    if (entry + 12 > end) return null
    if (r.u16(entry, little) === 0x0112) {
      const value = r.u16(entry + 8, little)!
      return value >= 1 && value <= 8 ? value : null
    }
  }
  return null
}

/** Skip GIF data sub-blocks from `at`; the offset after the terminator, or null when the file ends first. */
function skipSubBlocks(r: Reader, at: number): number | null {
  for (;;) {
    const size = r.u8(at)
    if (size === null) return null
    at += 1 + size
    if (size === 0) return at
  }
}

function gif(r: Reader): Dimensions | null {
  const width = r.u16(6, true)
  const height = r.u16(8, true)
  const flags = r.u8(10)
  if (width === null || height === null || flags === null) return null
  // decoders allocate the union of the logical screen and every frame rectangle
  let right = width
  let bottom = height
  let at = 13 + (flags & 0x80 ? 3 * 2 ** ((flags & 7) + 1) : 0)
  for (;;) {
    const block = r.u8(at)
    if (block === null || block === 0x3b) break // truncated files are decoded as far as they go
    if (block === 0x21) {
      const next = skipSubBlocks(r, at + 2)
      if (next === null) break
      at = next
    } else if (block === 0x2c) {
      const left = r.u16(at + 1, true)
      const top = r.u16(at + 3, true)
      const w = r.u16(at + 5, true)
      const h = r.u16(at + 7, true)
      const local = r.u8(at + 9)
      if (left === null || top === null || w === null || h === null || local === null) break
      right = Math.max(right, left + w)
      bottom = Math.max(bottom, top + h)
      const next = skipSubBlocks(r, at + 10 + (local & 0x80 ? 3 * 2 ** ((local & 7) + 1) : 0) + 1)
      if (next === null) break
      at = next
    } else return null
  }
  return { width, height, decodePixels: right * bottom, orientation: 1 }
}

function webp(r: Reader): Dimensions | null {
  let canvas: { width: number; height: number } | null = null
  let largest = 0
  const frame = (at: number, type: string): { width: number; height: number } | null => {
    if (type === 'VP8 ') {
      const w = r.u16(at + 6, true)
      const h = r.u16(at + 8, true)
      return w === null || h === null ? null : { width: w & 0x3fff, height: h & 0x3fff }
    }
    if (type === 'VP8L') {
      const bits = r.u32(at + 1, true)
      return bits === null || r.u8(at) !== 0x2f ? null : { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 }
    }
    return null
  }
  // RIFF chunks, and the frames nested in ANMF chunks: every bitstream is decoded at its own size
  const walk = (from: number, end: number): boolean => {
    for (let at = from; at + 8 <= end; ) {
      const type = r.ascii(at, 4)
      const size = r.u32(at + 4, true)!
      const body = at + 8
      if (type === 'VP8X') {
        const w = r.u24le(body + 4)
        const h = r.u24le(body + 7)
        if (w === null || h === null) return false
        canvas = { width: w + 1, height: h + 1 }
        largest = Math.max(largest, canvas.width * canvas.height)
      } else if (type === 'ANMF') {
        const w = r.u24le(body + 6)
        const h = r.u24le(body + 9)
        if (w === null || h === null) return false
        largest = Math.max(largest, (w + 1) * (h + 1))
        if (!walk(body + 16, Math.min(end, body + size))) return false
      } else {
        const f = frame(body, type)
        if (f) {
          canvas ??= f
          largest = Math.max(largest, f.width * f.height)
        } else if (type === 'VP8 ' || type === 'VP8L') return false
      }
      at = body + size + (size & 1)
    }
    return true
  }
  if (!walk(12, r.length) || !canvas) return null
  const { width, height } = canvas
  return { width, height, decodePixels: Math.max(largest, width * height), orientation: 1 }
}

function bmp(r: Reader): Dimensions | null {
  const headerSize = r.u32(14, true)
  if (headerSize === 12) {
    // OS/2 1.x BITMAPCOREHEADER: unsigned 16-bit width and height
    const width = r.u16(18, true)
    const height = r.u16(20, true)
    return width === null || height === null ? null : plain(width, height)
  }
  // BITMAPINFOHEADER (40) and its V2–V5 extensions (52, 56, 108, 124), OS/2 2.x (16–64): signed 32-bit
  if (headerSize === null || headerSize < 16 || (headerSize > 64 && headerSize !== 108 && headerSize !== 124)) return null
  const width = r.i32le(18)
  const height = r.i32le(22)
  if (width === null || height === null || width < 0 || height === -2147483648) return null
  return plain(width, Math.abs(height)) // negative height = rows stored top-down
}

/** Width, height, decode size and orientation from the header, or null when it is too short or malformed. */
export function readDimensions(bytes: Uint8Array, format: ImageFormat): Dimensions | null {
  const r = new Reader(bytes)
  switch (format) {
    case 'png':
      return png(r)
    case 'jpeg':
      return jpeg(r)
    case 'gif':
      return gif(r)
    case 'webp':
      return webp(r)
    case 'bmp':
      return bmp(r)
  }
}

/**
 * The checks every image passes before a decoder sees it: size of the file, format by magic bytes (never the name),
 * a readable header with non-zero sides, and the pixels its largest frame needs. Throws an ImageHeaderError whose
 * message starts with the file name.
 */
export function readImageHeader(fileName: string, bytes: Uint8Array, accept?: readonly ImageFormat[]): ImageHeader {
  const fail = (reason: ImageProblem, problem: string): never => {
    throw new ImageHeaderError(fileName, reason, `${fileName}: ${problem}`)
  }
  if (bytes.length === 0) fail('empty', 'the file is empty')
  if (bytes.length > MAX_IMAGE_FILE_BYTES) {
    fail('too-large', `${(bytes.length / 2 ** 20).toFixed(0)} MiB is too large (at most ${MAX_IMAGE_FILE_BYTES / 2 ** 20} MiB)`)
  }
  const format = sniffFormat(bytes.subarray(0, 16))
  if (!format || (accept && !accept.includes(format))) {
    const names = (accept ?? ['png', 'jpeg', 'webp', 'gif', 'bmp']).map((f) => (f === 'jpeg' ? 'JPEG' : f === 'webp' ? 'WebP' : f.toUpperCase()))
    fail('unsupported', `not a supported image (${names.slice(0, -1).join(', ')}${names.length > 1 ? ' or ' : ''}${names[names.length - 1]})`)
  }
  const found = format as ImageFormat
  const dims = readDimensions(bytes, found)
  if (!dims) return fail('corrupt', `the ${found.toUpperCase()} header is damaged; the file cannot be read`)
  if (dims.width === 0 || dims.height === 0) fail('corrupt', `the ${found.toUpperCase()} header says ${dims.width}×${dims.height}: an image needs at least one pixel each way`)
  if (dims.decodePixels > MAX_IMAGE_PIXELS) {
    const frame = dims.decodePixels > dims.width * dims.height ? ` (its frames need ${(dims.decodePixels / 1e6).toFixed(1)} megapixels)` : ''
    fail('too-many-pixels', `${dims.width}×${dims.height}${frame} is too many pixels (at most ${MAX_IMAGE_PIXELS / 1e6} megapixels)`)
  }
  return { format: found, ...dims }
}
