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

  png(name: string, rgba: Uint8Array | Uint8ClampedArray, width: number, height: number): Promise<void> {
    return this.enabled ? this.write(name, encodePng(rgba, width, height)) : Promise.resolve()
  }
}

/** A file-name-safe form of a model id or label. */
export const safeName = (s: string): string => s.replace(/[^A-Za-z0-9._-]+/g, '_')
