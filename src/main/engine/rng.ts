/**
 * Seeded randomness. Every random draw of the engine (SmoothGrad noise, PGD random starts, noise seeds for feature
 * visualization) comes from here, so the same seed gives the same numbers on every backend and in every worker —
 * twin runs (standard + robust) share their noise exactly.
 */

/** mulberry32: a small, fast 32-bit PRNG; uniform in [0, 1). */
export function uniformSource(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Mixes a base seed with stream indices (e.g. sample number, restart number) into an independent 32-bit seed. */
export function deriveSeed(seed: number, ...stream: number[]): number {
  let h = (seed ^ 0x9e3779b9) >>> 0
  for (const s of stream) {
    h = Math.imul(h ^ (s >>> 0), 0x85ebca6b) >>> 0
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0
    h = (h ^ (h >>> 16)) >>> 0
  }
  return h
}

export class Rng {
  private readonly next: () => number
  private spare: number | null = null

  constructor(seed: number) {
    this.next = uniformSource(seed)
  }

  uniform(): number {
    return this.next()
  }

  /** Standard normal by Box–Muller (both values used). */
  gaussian(): number {
    if (this.spare !== null) {
      const s = this.spare
      this.spare = null
      return s
    }
    let u = 0
    while (u <= Number.MIN_VALUE) u = this.next()
    const v = this.next()
    const r = Math.sqrt(-2 * Math.log(u))
    this.spare = r * Math.sin(2 * Math.PI * v)
    return r * Math.cos(2 * Math.PI * v)
  }

  gaussianArray(n: number, std = 1): Float32Array<ArrayBuffer> {
    const out = new Float32Array(n)
    for (let i = 0; i < n; i++) out[i] = this.gaussian() * std
    return out
  }

  /** U(lo, hi) per value. */
  uniformArray(n: number, lo: number, hi: number): Float32Array<ArrayBuffer> {
    const out = new Float32Array(n)
    for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * this.next()
    return out
  }
}
