/** Request building for a side-by-side run: one twin job when the two sides can share it, else one per model. */
import type { JobRequestInput } from '../../../../shared/jobs'
import type { ImageBatch } from '../../../../shared/images'
import type { ModelInfo } from '../../../../shared/model-format'
import { pairRoles, type LinkedParams, type PairModels, type Role } from './linked.svelte'

/**
 * The job requests for the current parameters: one twin run when linked and both models take the same input size,
 * else one job per model (each with its own parameters and an image batch at its own size).
 */
export function sideBySideRequests<P extends object>(
  pair: PairModels,
  params: LinkedParams<P>,
  batchFor: (model: ModelInfo) => ImageBatch,
  toMethod: (form: P, model: ModelInfo) => JobRequestInput['params']
): { roles: Role[]; request: JobRequestInput }[] {
  const roles = pairRoles(pair)
  const models = roles.map((r) => pair[r] as ModelInfo)
  const sameSize =
    models.length === 2 && models[0].input.height === models[1].input.height && models[0].input.width === models[1].input.width
  // linked sides can still differ where a view sets one side only (e.g. each model's own coordinate): then one job each
  const sameParams = roles.length < 2 || JSON.stringify(params.snapshot(roles[0])) === JSON.stringify(params.snapshot(roles[1]))
  if (params.linked && sameParams && (models.length === 1 || sameSize)) {
    const first = models[0]
    return [{ roles, request: { models: models.map((m) => m.id), images: batchFor(first), params: toMethod(params.snapshot(roles[0]), first) } }]
  }
  return roles.map((role) => {
    const model = pair[role] as ModelInfo
    return { roles: [role], request: { models: [model.id], images: batchFor(model), params: toMethod(params.snapshot(role), model) } }
  })
}
