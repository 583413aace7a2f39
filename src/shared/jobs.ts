/**
 * Jobs: what the renderer (or the CLI) asks the engine to compute, and what comes back.
 * A job runs one method on one image batch for one or two models (a twin run: standard + robust, same seed,
 * same noise). Results are per model. Everything here crosses IPC and the worker boundary, so it is plain data
 * and typed arrays.
 */
import { z } from 'zod'
import { ImageBatchSchema } from './images'

const int = z.number().int()
const nonNegInt = int.nonnegative()
const finite = z.number().refine(Number.isFinite, 'must be a finite number')
const positive = finite.refine((v) => v > 0, 'must be > 0')
const seed = int.min(0).max(2 ** 31 - 1)
/** null = each model's own top-1 prediction (user photos carry no label). */
const classOrPredicted = nonNegInt.nullable()

export const SmoothingSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('none') }),
  z.object({
    kind: z.enum(['smoothgrad', 'smoothgrad2', 'vargrad']),
    samples: int.min(1).max(1000),
    /** Noise σ as a fraction of the image's range (x_max - x_min); the engine records the absolute σ. */
    sigma: finite.refine((v) => v >= 0 && v <= 2, 'σ must be in [0, 2] (fraction of the image range)'),
    /** Clip x + noise to [0,1] before the model (otherwise the in-model clamp zeroes those gradients). */
    clipNoisy: z.boolean().default(false)
  })
])

export const SaliencyParamsSchema = z.object({
  method: z.literal('saliency'),
  /** loss = ∇ CE(f(x), y) (the lab); score = ∇ f_y(x) (Simonyan, SmoothGrad). */
  gradient: z.enum(['loss', 'score']),
  classIndex: classOrPredicted,
  smoothing: SmoothingSchema,
  seed
})

export const ThreatSchema = z.enum(['l2', 'linf'])

export const AttackParamsSchema = z.object({
  method: z.literal('attack'),
  threat: ThreatSchema,
  eps: finite.refine((v) => v >= 0 && v <= 10000, 'ε must be in [0, 10000]'),
  stepSize: positive,
  steps: int.min(1).max(10000),
  /** targeted: descend CE toward targetClass. Untargeted: ascend CE of trueClass. */
  targeted: z.boolean(),
  targetClass: nonNegInt.nullable(),
  trueClass: classOrPredicted,
  randomStart: z.boolean(),
  restarts: int.min(0).max(20),
  useBest: z.boolean(),
  /** How many iterates to keep for the scrubber / filmstrip (evenly spaced, always including the last). */
  keepIterates: int.min(0).max(200),
  seed
}).refine((p) => !p.targeted || p.targetClass !== null, { message: 'a targeted attack needs targetClass', path: ['targetClass'] })

export const FeatureVizParamsSchema = z.object({
  method: z.literal('featureViz'),
  feature: nonNegInt,
  fakeRelu: z.boolean(),
  /** image = start from the given images; gray = 0.5 everywhere; noise = clamp(0.5 + σ·n, 0, 1). */
  start: z.enum(['image', 'gray', 'noise']),
  noiseSigma: finite.refine((v) => v >= 0 && v <= 2, 'noise σ must be in [0, 2]'),
  eps: finite.refine((v) => v >= 0, 'ε must be ≥ 0'),
  stepSize: positive,
  steps: int.min(1).max(10000),
  keepIterates: int.min(0).max(200),
  seed
})

export const PredictParamsSchema = z.object({ method: z.literal('predict') })

export const ActivationsParamsSchema = z.object({
  method: z.literal('activations'),
  /** Representation coordinates to return; empty = all of them. */
  features: z.array(nonNegInt).max(4096)
})

export const EvaluateParamsSchema = z.object({
  method: z.literal('evaluate'),
  /** One true label per image. */
  labels: z.array(nonNegInt).min(1),
  threat: ThreatSchema,
  epsList: z.array(finite.refine((v) => v >= 0, 'ε must be ≥ 0')).min(1).max(64),
  steps: int.min(1).max(1000),
  /** Step = stepFactor·ε/steps (robustness evaluation protocol: 2.5). */
  stepFactor: positive,
  randomStart: z.boolean(),
  /** Also find each image's smallest flipping ε by bisection over [0, max(epsList)]. */
  minimalEps: z.boolean(),
  seed
})

export const MethodParamsSchema = z.discriminatedUnion('method', [
  PredictParamsSchema,
  SaliencyParamsSchema,
  AttackParamsSchema,
  FeatureVizParamsSchema,
  ActivationsParamsSchema,
  EvaluateParamsSchema
])

export const JobRequestSchema = z
  .object({
    /** One model, or a twin run over two (standard + robust). */
    models: z.array(z.string().min(1)).min(1).max(2),
    images: ImageBatchSchema,
    params: MethodParamsSchema
  })
  .refine((r) => r.params.method !== 'evaluate' || r.params.labels.length === r.images.shape[0], {
    message: 'evaluate needs exactly one label per image',
    path: ['params', 'labels']
  })

export type SmoothingParams = z.infer<typeof SmoothingSchema>
export type SaliencyParams = z.infer<typeof SaliencyParamsSchema>
export type AttackParams = z.infer<typeof AttackParamsSchema>
export type FeatureVizParams = z.infer<typeof FeatureVizParamsSchema>
export type PredictParams = z.infer<typeof PredictParamsSchema>
export type ActivationsParams = z.infer<typeof ActivationsParamsSchema>
export type EvaluateParams = z.infer<typeof EvaluateParamsSchema>
export type MethodParams = z.infer<typeof MethodParamsSchema>
export type Method = MethodParams['method']
export type JobRequest = z.infer<typeof JobRequestSchema>
/** What a caller may write before zod fills defaults (e.g. smoothing.clipNoisy). */
export type JobRequestInput = z.input<typeof JobRequestSchema>

// ───────────────────────────── results ─────────────────────────────

/** Per image of the batch: full softmax probabilities, row-major [n, classes]. */
export interface Predictions {
  probabilities: Float32Array
  classes: number
}

/** One optimisation step of the shared PGD / feature-visualization loop; arrays are per image. */
export interface StepTelemetry {
  step: number
  /** The objective's value (CE for attacks, r_k for feature visualization). */
  loss: number[]
  pTrue: number[]
  pTarget: number[]
  /** Top-5 classes per image. */
  top5: { index: number; p: number }[][]
  deltaL2: number[]
  deltaLinf: number[]
  gradNorm: number[]
  /** Feature-visualization only: the activation r_k per image. */
  activation?: number[]
}

export interface Iterate {
  step: number
  images: Float32Array
}

export interface PredictResult {
  method: 'predict'
  predictions: Predictions
}

export interface SaliencyResult {
  method: 'saliency'
  /** Raw gradient maps, NHWC like the input. For SG² / VarGrad, the squared / variance values. */
  maps: Float32Array
  shape: [number, number, number, number]
  classIndex: number[]
  /** Absolute σ used per image (σ fraction × image range); 0 without smoothing. */
  sigmaAbsolute: number[]
  /** Fraction of noisy input values that fell outside [0,1] (and so got zero gradient through the clamp). */
  outOfRangeFraction: number
  predictions: Predictions
}

export interface AttackResult {
  method: 'attack'
  adversarial: Float32Array
  perturbation: Float32Array
  shape: [number, number, number, number]
  trueClass: number[]
  targetClass: number | null
  before: Predictions
  after: Predictions
  /** Per image: first step at which the top-1 prediction left trueClass (untargeted) / reached the target; null = never. */
  flippedAt: (number | null)[]
  telemetry: StepTelemetry[]
  iterates: Iterate[]
}

export interface FeatureVizResult {
  method: 'featureViz'
  images: Float32Array
  shape: [number, number, number, number]
  feature: number
  /** r_k at the start and at the end, per image. */
  activationStart: number[]
  activationEnd: number[]
  after: Predictions
  telemetry: StepTelemetry[]
  iterates: Iterate[]
}

export interface ActivationsResult {
  method: 'activations'
  /** Row-major [n, features.length] (all coordinates when the request listed none). */
  values: Float32Array
  features: number[]
}

export interface EvaluateResult {
  method: 'evaluate'
  epsList: number[]
  /** Per ε: accuracy and mean p(true) over the images. */
  accuracy: number[]
  meanTrueProb: number[]
  /** Per ε, per image: still correct? Row-major [eps, n] as 0/1. */
  correct: Uint8Array
  /** Per image smallest flipping ε found by bisection (null = not flipped within max ε; 0 = misclassified clean). */
  minimalEps: (number | null)[] | null
}

export type MethodResult = PredictResult | SaliencyResult | AttackResult | FeatureVizResult | ActivationsResult | EvaluateResult
export type ResultFor<M extends Method> = Extract<MethodResult, { method: M }>

export interface JobProgress {
  step: number
  totalSteps: number
  etaMs: number | null
  telemetry?: StepTelemetry
}

export interface ModelRunInfo {
  modelId: string
  weightsSha256: string
  backend: string
  ms: number
}
