/**
 * Transformation robustness (lucent: pad, jitter, scale, rotate) for regularised visualizations of standard
 * models. The robust-model recipes of the practicum use none, so only the identity exists for now; the loop
 * (optimize.ts) differentiates through whatever a transform does to the pixels before the model.
 */
export type Transform = 'identity'

export const DEFAULT_TRANSFORMS: Transform[] = ['identity']
