/** The two sides of a pair. */
import type { ModelInfo } from '../../../shared/model-format'

export type Role = ModelInfo['role']
export const ROLE_ORDER: readonly Role[] = ['standard', 'robust']
