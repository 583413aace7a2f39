/**
 * Browser decoding of an image file to RGBA pixels: header checks first (shared/image-header.ts), then
 * createImageBitmap with EXIF orientation honoured, downscaled to MAX_DECODED_SIDE, drawn onto white (so
 * transparent pixels become white, not black) and read back with getImageData.
 */
import { readImageHeader } from '../../../shared/image-header'
import { ImageIntakeError, MAX_DECODED_SIDE } from './image-format'
import type { RgbaImage } from './resize'

export type Decoder = (name: string, bytes: Uint8Array<ArrayBuffer>) => Promise<RgbaImage>

function scratchCanvas(width: number, height: number): { ctx: CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D | null } {
  if (typeof OffscreenCanvas !== 'undefined') return { ctx: new OffscreenCanvas(width, height).getContext('2d') }
  const canvas = document.createElement('canvas')
  canvas.width = width
  canvas.height = height
  return { ctx: canvas.getContext('2d') }
}

export const decodeImage: Decoder = async (name, bytes) => {
  const { format, width: headerWidth, height: headerHeight, orientation } = readImageHeader(name, bytes)
  // Downscale inside createImageBitmap rather than in drawImage: a 12 MP photo otherwise costs one ~100 ms task.
  // The resize applies to the oriented image, so EXIF orientations 5–8 (portrait phone photos) swap the sides.
  const swapped = orientation >= 5
  const orientedWidth = swapped ? headerHeight : headerWidth
  const orientedHeight = swapped ? headerWidth : headerHeight
  const scale = Math.min(1, MAX_DECODED_SIDE / Math.max(orientedWidth, orientedHeight))
  const options: ImageBitmapOptions = { imageOrientation: 'from-image' }
  if (scale < 1) {
    options.resizeWidth = Math.max(1, Math.round(orientedWidth * scale))
    options.resizeHeight = Math.max(1, Math.round(orientedHeight * scale))
    options.resizeQuality = 'high'
  }
  let bitmap: ImageBitmap
  try {
    bitmap = await createImageBitmap(new Blob([bytes], { type: `image/${format}` }), options)
  } catch {
    throw new ImageIntakeError(name, 'corrupt', `${name}: the ${format.toUpperCase()} data is damaged; the file cannot be decoded`)
  }
  try {
    // normally already at size; this only trims a browser that ignored or mis-applied the resize
    const fit = Math.min(1, MAX_DECODED_SIDE / Math.max(bitmap.width, bitmap.height))
    const width = Math.max(1, Math.round(bitmap.width * fit))
    const height = Math.max(1, Math.round(bitmap.height * fit))
    const { ctx } = scratchCanvas(width, height)
    if (!ctx) throw new ImageIntakeError(name, 'corrupt', `${name}: no 2D canvas available to decode images`)
    ctx.fillStyle = '#fff'
    ctx.fillRect(0, 0, width, height)
    ctx.imageSmoothingQuality = 'high'
    ctx.drawImage(bitmap, 0, 0, width, height)
    const data = ctx.getImageData(0, 0, width, height)
    return { data: data.data, width, height }
  } finally {
    bitmap.close()
  }
}

/** Encode RGBA pixels as a PNG data URL (experiment cards embed the image this way). Null without a canvas. */
export function rgbaToPngDataUrl(image: RgbaImage): string | null {
  if (typeof document === 'undefined') return null
  const canvas = document.createElement('canvas')
  canvas.width = image.width
  canvas.height = image.height
  const ctx = canvas.getContext('2d')
  if (!ctx) return null
  ctx.putImageData(new ImageData(new Uint8ClampedArray(image.data), image.width, image.height), 0, 0)
  return canvas.toDataURL('image/png')
}
