/**
 * Pixel parameterization: the optimised variable is the image itself, starting from the given images, uniform gray
 * 0.5, or noise clamp(0.5 + σ·n, 0, 1) (lab Bonus I: σ = 1; robust_representations: σ = 0.05). A Fourier / decorrelated
 * parameterization would slot in here.
 */
import { deriveSeed, Rng } from '../rng'

export type StartKind = 'image' | 'gray' | 'noise'

export function pixelStart(kind: StartKind, images: Float32Array, shape: [number, number, number, number], noiseSigma: number, seed: number): Float32Array {
  if (kind === 'image') return Float32Array.from(images)
  if (kind === 'gray') return new Float32Array(images.length).fill(0.5)
  const [n] = shape
  const per = images.length / n
  const out = new Float32Array(images.length)
  for (let i = 0; i < n; i++) {
    const noise = new Rng(deriveSeed(seed, 0x5eed, i)).gaussianArray(per, noiseSigma)
    for (let j = 0; j < per; j++) out[i * per + j] = Math.min(1, Math.max(0, 0.5 + noise[j]))
  }
  return out
}
