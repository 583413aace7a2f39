/** The --out folder: every file written is recorded so result.json can list them. Without --out nothing is written. */
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { InputError } from './errors'
import { encodeNpy } from './npy'
import { encodePng } from './images'

export class OutDir {
  readonly files: string[] = []
  constructor(readonly dir: string | undefined) {}

  get enabled(): boolean {
    return this.dir !== undefined
  }

  async prepare(): Promise<void> {
    if (!this.dir) return
    try {
      await mkdir(this.dir, { recursive: true })
    } catch (e) {
      throw new InputError(`${this.dir}: cannot create the output folder (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`)
    }
  }

  async write(name: string, content: Uint8Array | string): Promise<void> {
    if (!this.dir) return
    await writeFile(join(this.dir, name), content)
    this.files.push(name)
  }

  npy(name: string, data: Float32Array, shape: readonly number[]): Promise<void> {
    return this.enabled ? this.write(name, encodeNpy(data, shape)) : Promise.resolve()
  }

  /** At the model's pixels, each one a block of pngScale(size)² (nearest), so a 32×32 picture is viewable. */
  png(name: string, rgba: Uint8Array | Uint8ClampedArray, width: number, height: number): Promise<void> {
    if (!this.enabled) return Promise.resolve()
    const k = pngScale(width, height)
    return this.write(name, encodePng(upscaleNearest(rgba, width, height, k), width * k, height * k))
  }
}

/** PNGs are written at least this many pixels on their short side. */
export const MIN_PNG_SIDE = 256

/** The integer factor that brings the short side to at least MIN_PNG_SIDE (1 for larger images). */
export function pngScale(width: number, height: number): number {
  return Math.max(1, Math.ceil(MIN_PNG_SIDE / Math.min(width, height)))
}

/** Nearest-neighbour upscale of RGBA by an integer factor: every source pixel becomes a k×k block. */
export function upscaleNearest(rgba: Uint8Array | Uint8ClampedArray, width: number, height: number, k: number): Uint8Array {
  if (k === 1) return Uint8Array.from(rgba)
  const out = new Uint8Array(width * k * height * k * 4)
  const rowBytes = width * k * 4
  for (let y = 0; y < height; y++) {
    const row = out.subarray(y * k * rowBytes, (y * k + 1) * rowBytes)
    for (let x = 0; x < width; x++) {
      const px = rgba.subarray((y * width + x) * 4, (y * width + x) * 4 + 4)
      for (let dx = 0; dx < k; dx++) row.set(px, (x * k + dx) * 4)
    }
    for (let dy = 1; dy < k; dy++) out.copyWithin((y * k + dy) * rowBytes, y * k * rowBytes, (y * k + 1) * rowBytes)
  }
  return out
}

/** A file-name-safe form of a model id or label. */
export const safeName = (s: string): string => s.replace(/[^A-Za-z0-9._-]+/g, '_')
