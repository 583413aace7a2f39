/**
 * The shipped model format (`resources/models/<id>/model.json`), as a schema.
 * The engine's loader validates every model against it; the training pipeline's export writes it.
 * See ../shared/design/architecture.md ("Model format").
 */
import { z } from 'zod'
import { MAX_IMAGE_SIDE } from './images'

export const MODEL_FORMAT = 'robust-lens/model@1'

const positiveInt = z.number().int().positive()

export const WeightEntrySchema = z.object({
  name: z.string().min(1),
  shape: z.array(z.number().int().nonnegative()),
  dtype: z.enum(['float32', 'float16'])
})

export const ArchitectureSchema = z.object({
  /** resnet18-cifar: 3x3/1 stem, no max-pool. resnet18 / resnet50: the ImageNet layouts (7x7/2 stem, 3x3/2 max-pool). */
  name: z.enum(['resnet18-cifar', 'resnet18', 'resnet50']),
  width: positiveInt
})

export const ModelSpecSchema = z.object({
  format: z.literal(MODEL_FORMAT),
  id: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'model id: lowercase letters, digits, ".", "_" and "-"'),
  pair: z.string().min(1),
  role: z.enum(['standard', 'robust']),
  architecture: ArchitectureSchema,
  input: z.object({
    /** Bounded: loading warms the model up at this size, and no job can carry larger images. */
    height: positiveInt.max(MAX_IMAGE_SIDE),
    width: positiveInt.max(MAX_IMAGE_SIDE),
    channels: z.literal(3),
    layout: z.literal('NHWC'),
    range: z.tuple([z.literal(0), z.literal(1)]),
    mean: z.tuple([z.number(), z.number(), z.number()]),
    std: z.tuple([z.number().positive(), z.number().positive(), z.number().positive()]),
    /**
     * The model was evaluated on a centered square crop of this fraction of the image's short side, resized to
     * height×width (Imagenette: short side resized to 146 px, center crop 128 → 128/146). The app's default crop and
     * the CLI use the same crop so a photo is preprocessed as in evaluation. Absent: 1 (the whole centered square).
     */
    cropFraction: z.number().gt(0).max(1).optional()
  }),
  classes: z.array(z.string().min(1)).min(2),
  representation: z.object({ name: z.string(), size: positiveInt }),
  training: z.object({
    dataset: z.string(),
    threat: z.enum(['none', 'l2', 'linf']),
    eps: z.number().nonnegative(),
    attackSteps: z.number().int().nonnegative(),
    attackStepSize: z.number().nonnegative().optional(),
    epochs: z.number().int().nonnegative(),
    seed: z.number().int(),
    notes: z.string().optional()
  }),
  metrics: z.object({
    clean: z.number().min(0).max(1),
    robust: z.record(z.string(), z.record(z.string(), z.number().min(0).max(1))),
    evaluatedWith: z.string(),
    engine: z
      .object({ clean: z.number().min(0).max(1), robust: z.record(z.string(), z.record(z.string(), z.number())), evaluatedWith: z.string() })
      .optional(),
    /** PGD-100 from the clean image and from 5 random starts on the first `count` test images (training/evaluate.py --strong). */
    strong: z
      .object({ l2: z.record(z.string(), z.number().min(0).max(1)), count: positiveInt, attack: z.string() })
      .optional(),
    /**
     * The pair's phenomenon (training/phenomenon.py): targeted large-ε L2 images made on the robust model are the
     * target for the standard model (robustToStandard) far more often than the converse (standardToRobust).
     */
    largeEpsTransfer: z
      .object({
        robustToStandard: z.number().min(0).max(1),
        standardToRobust: z.number().min(0).max(1),
        eps: z.number().positive(),
        steps: positiveInt,
        count: positiveInt,
        evaluatedWith: z.string()
      })
      .loose()
      .optional()
  }),
  /** sha256 over the weight files in manifest order, hex; checked at load. */
  weightsSha256: z.string().regex(/^[0-9a-f]{64}$/).optional(),
  weightsManifest: z
    .array(z.object({ paths: z.array(z.string().regex(/^[A-Za-z0-9._-]+$/, 'weight file names must be plain file names')).min(1), weights: z.array(WeightEntrySchema) }))
    .min(1)
})

export type ModelSpec = z.infer<typeof ModelSpecSchema>
export type WeightEntry = z.infer<typeof WeightEntrySchema>

/** What the renderer learns about a model: the spec without the weight manifest. */
export type ModelInfo = Omit<ModelSpec, 'weightsManifest'> & { sizeBytes: number }
