/**
 * Image intake checks that run before any decoding: the format from the file's magic bytes (never the name or the
 * MIME type, which lie) and the pixel dimensions from the header, so a 20 000 × 20 000 PNG is refused before the
 * browser allocates 1.6 GB for it. Pure functions over bytes: unit-tested without a canvas.
 */

export type ImageFormat = 'png' | 'jpeg' | 'gif' | 'webp' | 'bmp'

/** Files larger than this are refused unread. */
export const MAX_FILE_BYTES = 64 * 1024 * 1024
/** Images with more pixels than this are refused before decoding (same limit as the CLI). */
export const MAX_PIXELS = 50_000_000
/** Decoded images are downscaled to this long side: the crop editor never needs more, and memory stays bounded. */
export const MAX_DECODED_SIDE = 1024

export class ImageIntakeError extends Error {
  constructor(
    readonly fileName: string,
    readonly reason: 'unsupported' | 'too-large' | 'too-many-pixels' | 'corrupt' | 'empty',
    message: string
  ) {
    super(message)
    this.name = 'ImageIntakeError'
  }
}

export function sniffFormat(head: Uint8Array): ImageFormat | null {
  const at = (i: number): number => head[i] ?? -1
  const ascii = (from: number, s: string): boolean => [...s].every((ch, i) => at(from + i) === ch.charCodeAt(0))
  if (at(0) === 0x89 && ascii(1, 'PNG')) return 'png'
  if (at(0) === 0xff && at(1) === 0xd8 && at(2) === 0xff) return 'jpeg'
  if (ascii(0, 'GIF8')) return 'gif'
  if (ascii(0, 'RIFF') && ascii(8, 'WEBP')) return 'webp'
  if (ascii(0, 'BM')) return 'bmp'
  return null
}

/**
 * Width and height from the header, or null when the header is too short or malformed for that format
 * (the caller then treats the file as corrupt). JPEG: the first SOFn marker. WebP: VP8, VP8L or VP8X chunk.
 */
export function readDimensions(bytes: Uint8Array, format: ImageFormat): { width: number; height: number } | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const ok = (end: number): boolean => end <= bytes.length
  switch (format) {
    case 'png':
      // signature (8) + IHDR length (4) + "IHDR" (4) + width (4) + height (4)
      return ok(24) ? { width: view.getUint32(16), height: view.getUint32(20) } : null
    case 'gif':
      return ok(10) ? { width: view.getUint16(6, true), height: view.getUint16(8, true) } : null
    case 'bmp':
      // BITMAPINFOHEADER: signed width/height at 18/22; negative height = top-down rows
      return ok(26) ? { width: Math.abs(view.getInt32(18, true)), height: Math.abs(view.getInt32(22, true)) } : null
    case 'webp':
      return webpDimensions(bytes, view)
    case 'jpeg':
      return jpegDimensions(bytes, view)
  }
}

function webpDimensions(bytes: Uint8Array, view: DataView): { width: number; height: number } | null {
  if (bytes.length < 30) return null
  const chunk = String.fromCharCode(bytes[12], bytes[13], bytes[14], bytes[15])
  if (chunk === 'VP8 ') return { width: view.getUint16(26, true) & 0x3fff, height: view.getUint16(28, true) & 0x3fff }
  if (chunk === 'VP8L') {
    const b = view.getUint32(21, true)
    return { width: (b & 0x3fff) + 1, height: ((b >>> 14) & 0x3fff) + 1 }
  }
  if (chunk === 'VP8X') {
    const u24 = (i: number): number => bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16)
    return { width: u24(24) + 1, height: u24(27) + 1 }
  }
  return null
}

function jpegDimensions(bytes: Uint8Array, view: DataView): { width: number; height: number } | null {
  let i = 2
  while (i + 9 < bytes.length) {
    if (bytes[i] !== 0xff) return null
    const marker = bytes[i + 1]
    if (marker === 0xff) {
      i += 1 // fill byte
      continue
    }
    // SOF0..SOF15 except DHT (C4), JPG (C8), DAC (CC)
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { height: view.getUint16(i + 5), width: view.getUint16(i + 7) }
    }
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      i += 2
      continue
    }
    i += 2 + view.getUint16(i + 2)
  }
  return null
}

/** The checks every file passes before decoding; throws an ImageIntakeError naming the file and the problem. */
export function checkImageBytes(fileName: string, bytes: Uint8Array): { format: ImageFormat; width: number; height: number } {
  if (bytes.length === 0) throw new ImageIntakeError(fileName, 'empty', `${fileName}: the file is empty`)
  if (bytes.length > MAX_FILE_BYTES) {
    throw new ImageIntakeError(fileName, 'too-large', `${fileName}: ${(bytes.length / 2 ** 20).toFixed(0)} MiB is too large (at most ${MAX_FILE_BYTES / 2 ** 20} MiB)`)
  }
  const format = sniffFormat(bytes.subarray(0, 16))
  if (!format) {
    throw new ImageIntakeError(fileName, 'unsupported', `${fileName}: not a supported image (PNG, JPEG, WebP, GIF or BMP)`)
  }
  const dims = readDimensions(bytes, format)
  if (!dims || dims.width === 0 || dims.height === 0) {
    throw new ImageIntakeError(fileName, 'corrupt', `${fileName}: the ${format.toUpperCase()} header is damaged; the file cannot be read`)
  }
  if (dims.width * dims.height > MAX_PIXELS) {
    throw new ImageIntakeError(
      fileName,
      'too-many-pixels',
      `${fileName}: ${dims.width}×${dims.height} is too many pixels (at most ${MAX_PIXELS / 1e6} megapixels)`
    )
  }
  return { format, ...dims }
}

/**
 * The EXIF orientation tag (1–8) of a JPEG, or 1 when there is none. Orientations 5–8 swap width and height
 * (the decoder honours the tag; the caller only needs it to size a downscale correctly).
 */
export function jpegOrientation(bytes: Uint8Array): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let i = 2
  while (i + 4 < bytes.length && bytes[i] === 0xff) {
    const marker = bytes[i + 1]
    const length = view.getUint16(i + 2)
    if (marker === 0xda) break // start of scan: no metadata after this
    if (marker === 0xe1 && i + 10 < bytes.length && String.fromCharCode(...bytes.subarray(i + 4, i + 8)) === 'Exif') {
      const tiff = i + 10
      if (tiff + 8 > bytes.length) return 1
      const little = bytes[tiff] === 0x49
      const u16 = (at: number): number => view.getUint16(at, little)
      const ifd = tiff + view.getUint32(tiff + 4, little)
      if (ifd + 2 > bytes.length) return 1
      for (let k = 0, n = u16(ifd); k < n; k++) {
        const entry = ifd + 2 + k * 12
        if (entry + 10 > bytes.length) return 1
        if (u16(entry) === 0x0112) {
          const value = u16(entry + 8)
          return value >= 1 && value <= 8 ? value : 1
        }
      }
      return 1
    }
    i += 2 + length
  }
  return 1
}
