/**
 * Images cross every boundary as NHWC float32 pixels in [0,1] — typed arrays only, never a bare ArrayBuffer
 * (the Playwright bridge drops ArrayBuffer/Map/Set; toolchain.md §10).
 */
import { z } from 'zod'

/** Largest image side a job carries, and so the largest input a model may declare (src/shared/model-format.ts). */
export const MAX_IMAGE_SIDE = 1024
/** Upper bound on pixels per request: 64 images at 224x224. Larger payloads are refused before any work. */
export const MAX_BATCH_VALUES = 64 * 224 * 224 * 3

export const ImageBatchSchema = z
  .object({
    data: z.instanceof(Float32Array, { message: 'expected a Float32Array of pixels' }),
    shape: z.tuple([
      z.number().int().min(1).max(4096),
      z.number().int().min(1).max(MAX_IMAGE_SIDE),
      z.number().int().min(1).max(MAX_IMAGE_SIDE),
      z.literal(3, { message: 'images must have 3 channels (RGB, NHWC)' })
    ])
  })
  .superRefine((batch, ctx) => {
    const [n, h, w, c] = batch.shape
    const expected = n * h * w * c
    if (expected > MAX_BATCH_VALUES) {
      ctx.addIssue({ code: 'custom', message: `batch too large: ${expected} values (at most ${MAX_BATCH_VALUES})` })
      return
    }
    if (batch.data.length !== expected) {
      ctx.addIssue({ code: 'custom', path: ['data'], message: `expected ${expected} values for shape [${batch.shape.join(', ')}], got ${batch.data.length}` })
      return
    }
    for (let i = 0; i < batch.data.length; i++) {
      const v = batch.data[i]
      if (!(v >= 0 && v <= 1)) {
        ctx.addIssue({ code: 'custom', path: ['data', i], message: `pixel ${i} is ${v}; pixels must be finite and in [0, 1]` })
        return
      }
    }
  })

export type ImageBatch = z.infer<typeof ImageBatchSchema>

export const imageCount = (b: ImageBatch): number => b.shape[0]
export const valuesPerImage = (b: ImageBatch): number => b.shape[1] * b.shape[2] * b.shape[3]

/** The i-th image of a batch as a batch of one (a view, no copy). */
export function sliceImage(b: ImageBatch, i: number): ImageBatch {
  const per = valuesPerImage(b)
  return { data: b.data.subarray(i * per, (i + 1) * per), shape: [1, b.shape[1], b.shape[2], 3] }
}
