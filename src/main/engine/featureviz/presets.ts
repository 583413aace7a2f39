/**
 * Feature-visualization recipes (science.md §4) as parameter presets. ε and step sizes are stated for 224×224
 * inputs; `forInputSize` carries them to another input size RMS-preserving (× √(H·W / 224²); science.md §8), e.g.
 * × 1/7 for 32×32. ε ≥ √(3HW) never binds (unconstrained).
 */
import type { FeatureVizParams } from '../../../shared/jobs'

export type FeatureVizPresetName = 'lab-vi2' | 'lab-bonus1' | 'robust-representations-direct' | 'robust-representations-maximizing'

type Recipe = Omit<FeatureVizParams, 'method' | 'feature' | 'seed' | 'keepIterates'>

export const FEATURE_VIZ_PRESETS: Record<FeatureVizPresetName, { description: string; at224: Recipe }> = {
  'lab-vi2': {
    description: 'Practicum VI.2 / Bonus II: ascend r_k from the test images, L2 ε 1000, step 5, 20 steps',
    at224: { fakeRelu: false, start: 'image', noiseSigma: 0, eps: 1000, stepSize: 5, steps: 20 }
  },
  'lab-bonus1': {
    description: 'Practicum Bonus I: from noise clamp(randn + 0.5), ε 1000, step 5, 200 steps',
    at224: { fakeRelu: false, start: 'noise', noiseSigma: 1, eps: 1000, stepSize: 5, steps: 200 }
  },
  'robust-representations-direct': {
    description: 'robust_representations direct_feature_visualization: fake-ReLU, noise randn/20 + 0.5, ε 1000, step 1, 200 steps',
    at224: { fakeRelu: true, start: 'noise', noiseSigma: 0.05, eps: 1000, stepSize: 1, steps: 200 }
  },
  'robust-representations-maximizing': {
    description: 'robust_representations maximizing_inputs: from gray 0.5, ε 500, step 0.5, 1500 steps',
    at224: { fakeRelu: false, start: 'gray', noiseSigma: 0, eps: 500, stepSize: 0.5, steps: 1500 }
  }
}

/** The preset's parameters scaled to an input of height × width (RMS-preserving). */
export function featureVizPreset(name: FeatureVizPresetName, height: number, width: number): Recipe {
  const { at224 } = FEATURE_VIZ_PRESETS[name]
  const scale = Math.sqrt((height * width) / (224 * 224))
  return { ...at224, eps: at224.eps * scale, stepSize: at224.stepSize * scale }
}
