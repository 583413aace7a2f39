/**
 * The loaded images: decoded pixels, the crop that goes to the model, the current image, intake errors.
 * Pixels live in $state.raw (never proxied); every change replaces the image object, so views that read
 * `images.current` re-render and derived batches recompute.
 */
import type { ImageBatch } from '../../../shared/images'
import type { SampleInfo } from '../../../shared/ipc'
import { decodeImage, type Decoder } from '../lib/decode'
import { ImageIntakeError } from '../lib/image-format'
import { ANY_DATASET, datasetKey, resolveLabel, sampleLabels, type Labels, type ResolvedLabel } from '../lib/labels'
import type { ModelInfo } from '../../../shared/model-format'
import { centerCrop, clampCrop, cropResizeRgb, rgbFloatToRgba, type Crop, type RgbaImage } from '../lib/resize'

export type ImageSource = { kind: 'file' } | { kind: 'sample'; sampleId: string } | { kind: 'card' }

export interface LoadedImage {
  id: string
  name: string
  source: ImageSource
  /** Known labels per dataset (samples.json, an experiment card); empty for user photos. See lib/labels.ts. */
  labels: Labels
  /** Decoded, EXIF-oriented, downscaled to at most MAX_DECODED_SIDE. */
  pixels: RgbaImage
  crop: Crop
  /** THUMB_SIZE² RGBA of the crop, for the strip (recomputed when the crop changes, after a drag ends). */
  thumb: Uint8ClampedArray<ArrayBuffer>
  /** The crop the thumbnail shows. */
  thumbCrop: Crop
}

export const THUMB_SIZE = 64

function thumbnail(pixels: RgbaImage, crop: Crop): Uint8ClampedArray<ArrayBuffer> {
  return rgbFloatToRgba(cropResizeRgb(pixels, crop, THUMB_SIZE, THUMB_SIZE), THUMB_SIZE, THUMB_SIZE)
}

export interface IntakeError {
  fileName: string
  message: string
}

export interface ModelSize {
  height: number
  width: number
}

export class ImagesState {
  images = $state.raw<LoadedImage[]>([])
  currentId = $state<string | null>(null)
  /** Problems with the last intake (each names its file); existing images are never touched by a failure. */
  errors = $state.raw<IntakeError[]>([])
  samples = $state.raw<SampleInfo[]>([])
  busy = $state(false)

  readonly current: LoadedImage | null = $derived(this.images.find((i) => i.id === this.currentId) ?? null)

  #nextId = 1
  readonly #decode: Decoder

  constructor(decode: Decoder = decodeImage) {
    this.#decode = decode
  }

  /** Decode and add image files (unsupported / corrupt / huge ones are reported in `errors`). Returns the new ids. */
  async add(files: Iterable<File>): Promise<string[]> {
    const list = [...files]
    return this.#intake(list.map((f) => ({ name: f.name, source: { kind: 'file' } as const, labels: {}, read: async () => new Uint8Array(await f.arrayBuffer()) })))
  }

  /** Add decoded-from-bytes images (samples, experiment cards); `label`: a class name for any dataset. */
  async addBytes(entries: { name: string; bytes: Uint8Array<ArrayBuffer>; source: ImageSource; label?: string | null; crop?: Crop }[]): Promise<string[]> {
    return this.#intake(entries.map((e) => ({ name: e.name, source: e.source, labels: (e.label ? { [ANY_DATASET]: e.label } : {}) as Labels, crop: e.crop, read: async () => e.bytes })))
  }

  /**
   * The default crop's fraction of the short side for new images (the pair's `input.cropFraction`); images already
   * loaded keep their crop.
   */
  cropFraction = $state(1)

  /**
   * The user's labels, by image id then dataset key (null = "unknown", overriding a sample's label). Kept apart from
   * the image objects so a label change does not invalidate the pixels, the model inputs or the predictions.
   */
  picks = $state.raw<Readonly<Record<string, Readonly<Record<string, string | null>>>>>({})

  /** An image's true class for `model` (see lib/labels.ts), or null when unknown. */
  labelFor(image: Pick<LoadedImage, 'id' | 'labels'>, model: Pick<ModelInfo, 'training' | 'classes'> | undefined): ResolvedLabel | null {
    return resolveLabel({ labels: image.labels, picked: this.picks[image.id] ?? {} }, model)
  }

  /** Set (class index) or clear to "unknown" (null) the user's label of an image for `model`'s dataset. */
  setLabel(id: string, model: Pick<ModelInfo, 'training' | 'classes'>, classIndex: number | null): void {
    if (classIndex !== null && !(Number.isInteger(classIndex) && classIndex >= 0 && classIndex < model.classes.length)) throw new Error(`no class ${classIndex} in this model`)
    if (!this.get(id)) throw new Error(`no loaded image with id ${id}`)
    const key = datasetKey(model)
    this.picks = { ...this.picks, [id]: { ...this.picks[id], [key]: classIndex === null ? null : model.classes[classIndex] } }
  }

  async loadSampleList(): Promise<SampleInfo[]> {
    try {
      this.samples = await window.api.invoke('samples:list')
    } catch (err) {
      this.errors = [{ fileName: 'samples', message: `could not list the sample photos: ${errorMessage(err)}` }]
    }
    return this.samples
  }

  /** Object URLs of the sample photos for the gallery, by sample id (filled by loadSamplePreviews). */
  samplePreviews = $state.raw<Record<string, string>>({})
  #sampleBytes = new Map<string, Uint8Array<ArrayBuffer>>()

  async #readSample(id: string): Promise<Uint8Array<ArrayBuffer>> {
    let bytes = this.#sampleBytes.get(id)
    if (!bytes) {
      bytes = new Uint8Array(await window.api.invoke('samples:read', id))
      this.#sampleBytes.set(id, bytes)
    }
    return bytes
  }

  /** Read every listed sample once and make gallery previews (object URLs of the files themselves). */
  async loadSamplePreviews(): Promise<void> {
    if (typeof URL.createObjectURL !== 'function') return
    for (const sample of this.samples) {
      if (this.samplePreviews[sample.id]) continue
      try {
        const url = URL.createObjectURL(new Blob([await this.#readSample(sample.id)]))
        this.samplePreviews = { ...this.samplePreviews, [sample.id]: url }
      } catch {
        // a preview is optional: the gallery shows the title instead
      }
    }
  }

  /**
   * Bundled samples as one model-size batch (default crop), without adding them to the strip: what the default-image
   * chooser predicts on. Cached per sample, size and crop fraction. Samples that fail to decode are left out.
   */
  async sampleBatch(ids: readonly string[], size: ModelSize): Promise<{ ids: string[]; batch: ImageBatch }> {
    const per = size.height * size.width * 3
    const kept: string[] = []
    const inputs: Float32Array[] = []
    for (const id of ids) {
      const key = `${id}|${size.height}x${size.width}|${this.cropFraction}`
      let input = this.#sampleInputs.get(key)
      if (!input) {
        try {
          const pixels = await this.#decode(id, await this.#readSample(id))
          input = cropResizeRgb(pixels, centerCrop(pixels.width, pixels.height, this.cropFraction), size.height, size.width)
          this.#sampleInputs.set(key, input)
          await nextTask()
        } catch {
          continue
        }
      }
      kept.push(id)
      inputs.push(input)
    }
    const data = new Float32Array(kept.length * per)
    inputs.forEach((input, n) => data.set(input, n * per))
    return { ids: kept, batch: { data, shape: [kept.length, size.height, size.width, 3] } }
  }

  #sampleInputs = new Map<string, Float32Array>()

  /** Load bundled samples by id (skips those already loaded). */
  async addSamples(sampleIds: string[]): Promise<string[]> {
    const loaded = new Set(this.images.flatMap((i) => (i.source.kind === 'sample' ? [i.source.sampleId] : [])))
    const wanted = sampleIds.filter((id) => !loaded.has(id))
    const infos = new Map(this.samples.map((s) => [s.id, s]))
    return this.#intake(
      wanted.map((id) => ({
        name: infos.get(id)?.title ?? id,
        source: { kind: 'sample', sampleId: id } as const,
        labels: sampleLabels(infos.get(id) ?? { label: null }),
        read: () => this.#readSample(id)
      }))
    )
  }

  async #intake(entries: { name: string; source: ImageSource; labels: Labels; crop?: Crop; read: () => Promise<Uint8Array<ArrayBuffer>> }[]): Promise<string[]> {
    if (entries.length === 0) return []
    this.busy = true
    const errors: IntakeError[] = []
    const added: LoadedImage[] = []
    try {
      for (const entry of entries) {
        try {
          const pixels = await this.#decode(entry.name, await entry.read())
          // each step of a big photo costs 10–20 ms: give the event loop a turn between them (no task over 50 ms)
          await nextTask()
          const crop = entry.crop ? clampCrop(entry.crop, pixels.width, pixels.height) : centerCrop(pixels.width, pixels.height, this.cropFraction)
          added.push({ id: `img-${this.#nextId++}`, name: entry.name, source: entry.source, labels: entry.labels, pixels, crop, thumb: thumbnail(pixels, crop), thumbCrop: crop })
          await nextTask()
        } catch (err) {
          errors.push({ fileName: entry.name, message: err instanceof ImageIntakeError ? err.message : `${entry.name}: ${errorMessage(err)}` })
        }
      }
    } finally {
      this.busy = false
    }
    this.errors = errors
    if (added.length > 0) {
      this.images = [...this.images, ...added]
      this.currentId = added[0].id
    }
    return added.map((i) => i.id)
  }

  select(id: string): void {
    if (this.images.some((i) => i.id === id)) this.currentId = id
  }

  remove(id: string): void {
    const index = this.images.findIndex((i) => i.id === id)
    if (index < 0) return
    this.images = this.images.filter((i) => i.id !== id)
    if (this.currentId === id) this.currentId = this.images[Math.min(index, this.images.length - 1)]?.id ?? null
  }

  clearErrors(): void {
    this.errors = []
  }

  /**
   * Move / resize an image's crop. `live` (while dragging) keeps the old strip thumbnail, which is redrawn once the
   * drag ends with a final non-live call: one resample less per pointer move.
   */
  setCrop(id: string, crop: Crop, live = false): void {
    this.images = this.images.map((i) => {
      if (i.id !== id) return i
      const next = clampCrop(crop, i.pixels.width, i.pixels.height)
      const same = next.x === i.crop.x && next.y === i.crop.y && next.size === i.crop.size
      if (same && (live || i.thumbCrop === i.crop)) return i
      return { ...i, crop: next, ...(live ? {} : { thumb: thumbnail(i.pixels, next), thumbCrop: next }) }
    })
  }

  resetCrop(id: string): void {
    const image = this.get(id)
    if (image) this.setCrop(id, centerCrop(image.pixels.width, image.pixels.height, this.cropFraction))
  }

  get(id: string): LoadedImage | undefined {
    return this.images.find((i) => i.id === id)
  }

  /**
   * Crop + resize the given images to the model's size → one NHWC batch in [0,1] (a fresh array the caller owns).
   * Throws on an unknown id.
   */
  toBatch(ids: readonly string[], size: ModelSize): ImageBatch {
    const per = size.height * size.width * 3
    const data = new Float32Array(ids.length * per)
    ids.forEach((id, n) => {
      const image = this.get(id)
      if (!image) throw new Error(`no loaded image with id ${id}`)
      data.set(this.modelInput(image, size), n * per)
    })
    return { data, shape: [ids.length, size.height, size.width, 3] }
  }

  /**
   * One image's model input (HWC), cached per image version and size: the crop editor, the top-5 and the views all
   * ask for the same pixels, and a 1024² crop costs several ms to resample. Read-only: copy before changing it.
   */
  modelInput(image: LoadedImage, size: ModelSize): Float32Array {
    const key = `${size.height}x${size.width}`
    let bySize = this.#inputs.get(image)
    if (!bySize) this.#inputs.set(image, (bySize = new Map()))
    let input = bySize.get(key)
    if (!input) bySize.set(key, (input = cropResizeRgb(image.pixels, image.crop, size.height, size.width)))
    return input
  }

  /** Keyed by the image object: a new crop makes a new object, so stale entries are simply never asked for again. */
  #inputs = new WeakMap<LoadedImage, Map<string, Float32Array>>()

  /** The current image as a batch of one, or null when nothing is loaded. */
  currentBatch(size: ModelSize): ImageBatch | null {
    return this.current ? this.toBatch([this.current.id], size) : null
  }
}

/** Resolve in a later task (not a microtask), so rendering and input get a turn. */
const nextTask = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0))

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
