/**
 * Objectives are data, not closures, so they cross the worker boundary (architecture.md, seam 5).
 * Every objective is a per-example scalar; the engine sums over the batch (never the batch mean, science.md §0).
 */
import { z } from 'zod'

const classIndex = z.number().int().nonnegative()

export const ObjectiveSchema = z.discriminatedUnion('kind', [
  /** CE(f(x), label) = -log p_label. Ascend = untargeted attack; descend = targeted toward `label`. */
  z.object({ kind: z.literal('crossEntropy'), label: classIndex }),
  /** The class score f_index(x) (Simonyan / SmoothGrad convention). */
  z.object({ kind: z.literal('logit'), index: classIndex }),
  /** A representation coordinate r_index(x); fakeRelu makes the last ReLU identity in the backward pass. */
  z.object({ kind: z.literal('feature'), index: classIndex, fakeRelu: z.boolean().optional() })
])
export type Objective = z.infer<typeof ObjectiveSchema>

export const DirectionSchema = z.enum(['ascend', 'descend'])
export type Direction = z.infer<typeof DirectionSchema>
