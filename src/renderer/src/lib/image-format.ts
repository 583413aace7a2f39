/**
 * Image intake checks that run before any decoding, shared with the CLI (src/shared/image-header.ts): the format
 * from the file's magic bytes (never the name or the MIME type, which lie) and the pixels the decoder will allocate
 * — the largest frame or canvas in the file, not only the size its first header advertises — so a 20 000 × 20 000
 * GIF frame inside a 1 × 1 screen is refused before the browser allocates 1.6 GB for it.
 */
import { ImageHeaderError, MAX_IMAGE_FILE_BYTES, MAX_IMAGE_PIXELS, readImageHeader, type ImageFormat } from '../../../shared/image-header'

export { jpegOrientation, readDimensions, sniffFormat, type ImageFormat } from '../../../shared/image-header'

/** Files larger than this are refused unread. */
export const MAX_FILE_BYTES = MAX_IMAGE_FILE_BYTES
/** Images with more pixels than this are refused before decoding (same limit as the CLI). */
export const MAX_PIXELS = MAX_IMAGE_PIXELS
/** Decoded images are downscaled to this long side: the crop editor never needs more, and memory stays bounded. */
export const MAX_DECODED_SIDE = 1024

/** An image refused at intake: names the file and the reason. */
export { ImageHeaderError as ImageIntakeError }

/** The checks every file passes before decoding; throws an ImageIntakeError naming the file and the problem. */
export function checkImageBytes(fileName: string, bytes: Uint8Array): { format: ImageFormat; width: number; height: number } {
  const { format, width, height } = readImageHeader(fileName, bytes)
  return { format, width, height }
}
