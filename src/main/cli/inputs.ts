/**
 * The CLI's inputs → one ImageBatch at the model's size: image files and folders of images (center crop + area
 * resize, images.ts), or one float32 NHWC `.npy` in [0,1] at the model's size.
 */
import { readdir, readFile, stat } from 'node:fs/promises'
import { extname, join } from 'node:path'
import { MAX_BATCH_VALUES, type ImageBatch } from '../../shared/images'
import { InputError, UsageError } from './errors'
import { MAX_FILE_BYTES, centerCropBox, fitToModel, readImageFile, toRgbFloat } from './images'
import { decodeNpy } from './npy'

export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg']

export interface InputSource {
  /** File name, or `file.npy[i]`. */
  source: string
  /** Size before crop and resize (image files only). */
  originalSize?: [number, number]
  /** The center-crop window in source pixels, when the image was not already at the model's size. */
  crop?: { x: number; y: number; width: number; height: number }
}

/** An input that could not be used; the run goes on without it and exits 1 at the end. */
export interface FailedInput {
  source: string
  /** The error, starting with the file name. */
  reason: string
}

export interface LoadedInputs {
  batch: ImageBatch
  sources: InputSource[]
  failed: FailedInput[]
}

/** All inputs failed: one error listing each file's reason. */
export function noUsableInputs(failed: FailedInput[]): InputError {
  return new InputError(failed.length === 1 ? failed[0].reason : `none of the ${failed.length} inputs could be used:\n  ${failed.map((f) => f.reason).join('\n  ')}`)
}

/** Expand folders (non-recursive, sorted, PNG/JPEG by extension); keep files as given. */
export async function expandImagePaths(paths: string[]): Promise<string[]> {
  const out: string[] = []
  for (const path of paths) {
    // a path that cannot be read is kept as a file: reading it reports the reason, and the other inputs go on
    const isDir = await stat(path).then((info) => info.isDirectory(), () => false)
    if (!isDir) {
      out.push(path)
      continue
    }
    const names = (await readdir(path)).filter((n) => IMAGE_EXTENSIONS.includes(extname(n).toLowerCase())).sort()
    if (names.length === 0) throw new InputError(`${path}: folder holds no .png/.jpg/.jpeg images`)
    out.push(...names.map((n) => join(path, n)))
  }
  return out
}

function checkBatchSize(n: number, height: number, width: number): void {
  if (n * height * width * 3 > MAX_BATCH_VALUES) {
    throw new UsageError(`${n} images of ${height}×${width} are more than one job takes (${Math.floor(MAX_BATCH_VALUES / (height * width * 3))} at most)`)
  }
}

/** Decode every file; a file that cannot be used is reported in `failed` and the others go on (issue 11 #11). */
/** `cropFraction`: the model's input.cropFraction (1 = the whole centered window). */
export async function loadImages(paths: string[], height: number, width: number, cropFraction = 1): Promise<LoadedInputs> {
  const files = await expandImagePaths(paths)
  checkBatchSize(files.length, height, width)
  const per = height * width * 3
  const data = new Float32Array(files.length * per)
  const sources: InputSource[] = []
  const failed: FailedInput[] = []
  for (const file of files) {
    let rgb
    try {
      rgb = toRgbFloat(await readImageFile(file))
    } catch (e) {
      if (!(e instanceof InputError)) throw e
      failed.push({ source: file, reason: e.message })
      continue
    }
    data.set(fitToModel(rgb, width, height, cropFraction).data, sources.length * per)
    const resized = rgb.width !== width || rgb.height !== height || cropFraction !== 1
    sources.push({ source: file, originalSize: [rgb.height, rgb.width], ...(resized ? { crop: centerCropBox(rgb.width, rgb.height, width, height, cropFraction) } : {}) })
  }
  if (sources.length === 0) throw noUsableInputs(failed)
  return { batch: { data: data.subarray(0, sources.length * per), shape: [sources.length, height, width, 3] }, sources, failed }
}

export async function loadNpyInput(path: string, height: number, width: number): Promise<LoadedInputs> {
  let bytes: Uint8Array
  try {
    if ((await stat(path)).size > 16 * MAX_FILE_BYTES) throw new InputError(`${path}: file larger than 1 GiB`)
    bytes = await readFile(path)
  } catch (e) {
    if (e instanceof InputError) throw e
    throw new InputError(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`)
  }
  const { data, shape } = decodeNpy(bytes, path)
  const nhwc = shape.length === 3 ? [1, ...shape] : shape
  if (nhwc.length !== 4 || nhwc[3] !== 3) throw new InputError(`${path}: shape (${shape.join(', ')}) is not NHWC with 3 channels`)
  if (nhwc[1] !== height || nhwc[2] !== width) {
    throw new InputError(`${path}: images are ${nhwc[1]}×${nhwc[2]}, the model takes ${height}×${width} (.npy inputs are not resized)`)
  }
  if (nhwc[0] < 1) throw new InputError(`${path}: holds no images`)
  for (let i = 0; i < data.length; i++) {
    if (!(data[i] >= 0 && data[i] <= 1)) throw new InputError(`${path}: value ${data[i]} at flat index ${i} is outside [0, 1]`)
  }
  checkBatchSize(nhwc[0], height, width)
  return {
    batch: { data, shape: [nhwc[0], height, width, 3] },
    sources: Array.from({ length: nhwc[0] }, (_, i) => ({ source: `${path}[${i}]` })),
    failed: []
  }
}

/** Image files/folders or --input-npy (not both); null when none was given. */
export async function loadInputs(positionals: string[], npyPath: string | undefined, height: number, width: number, cropFraction = 1): Promise<LoadedInputs | null> {
  if (npyPath !== undefined && positionals.length > 0) throw new UsageError('give image files or --input-npy, not both')
  if (npyPath !== undefined) return loadNpyInput(npyPath, height, width)
  if (positionals.length > 0) return loadImages(positionals, height, width, cropFraction)
  return null
}
