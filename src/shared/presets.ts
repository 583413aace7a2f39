/**
 * Visualization presets (science.md §7): pure functions from a raw map (one image, h×w×3 NHWC Float32Array) to
 * RGBA bytes. Used by the renderer and by the CLI, so both draw the same pictures (architecture.md, seam 7).
 *
 * Every render returns the scale it used, so a caller can print it, stamp it on an exported figure, or pass a
 * scale computed from two maps (`sharedScale`) into both renders of a standard/robust pair.
 */

export const PRESET_IDS = ['lab', 'smoothgrad', 'simonyan', 'diverging', 'perturbation'] as const
export type PresetId = (typeof PRESET_IDS)[number]

/** One image's raw values, NHWC with 3 channels: data.length === height·width·3. */
export interface RawMap {
  data: Float32Array
  height: number
  width: number
}

type Triple = [number, number, number]

/** The normalisation constants of one render; `preset` tells which fields exist. */
export type PresetScale =
  | { preset: 'lab'; mean: Triple; std: Triple }
  | { preset: 'smoothgrad'; min: number; clip: number }
  | { preset: 'simonyan'; max: number }
  | { preset: 'diverging'; span: number }
  /** amplification: a pixel-space change v is drawn as 0.5 + v·amplification (= 0.2 / maxAbs). */
  | { preset: 'perturbation'; maxAbs: number; amplification: number }

export type ScaleFor<P extends PresetId> = Extract<PresetScale, { preset: P }>

export interface RenderedMap {
  rgba: Uint8ClampedArray
  width: number
  height: number
  scale: PresetScale
}

export interface Preset {
  id: PresetId
  label: string
  /** One line, stamped on exported figures. */
  convention: string
}

export const PRESETS: Readonly<Record<PresetId, Preset>> = {
  lab: {
    id: 'lab',
    label: 'Lab (signed RGB)',
    convention: 'signed RGB, per channel (g − μ_c)/(3σ_c) + 0.5 clipped to [0,1] (practicum visualize_gradient)'
  },
  smoothgrad: {
    id: 'smoothgrad',
    label: 'SmoothGrad (|·| grayscale)',
    convention: 'grayscale Σ_c|g_c|, (m − min)/(p99 − min) clipped to [0,1] (Smilkov et al. 2017)'
  },
  simonyan: {
    id: 'simonyan',
    label: 'Simonyan (max |·|)',
    convention: 'grayscale max_c|g_c| / max (Simonyan et al. 2013)'
  },
  diverging: {
    id: 'diverging',
    label: 'Diverging (signed)',
    convention: 'blue-white-red Σ_c g_c, s = |p99|, (m + s)/(2s) clipped to [0,1] (PAIR diverging)'
  },
  perturbation: {
    id: 'perturbation',
    label: 'Perturbation δ',
    convention: 'signed RGB δ/max|δ|·0.2 + 0.5 (Foolbox); amplification 0.2/max|δ| stated with the figure'
  }
}

export function isPresetId(value: string): value is PresetId {
  return (PRESET_IDS as readonly string[]).includes(value)
}

function checkMap(map: RawMap): void {
  if (!Number.isInteger(map.height) || !Number.isInteger(map.width) || map.height < 1 || map.width < 1) {
    throw new Error(`map size must be positive integers, got ${map.height}×${map.width}`)
  }
  if (map.data.length !== map.height * map.width * 3) {
    throw new Error(`map of ${map.height}×${map.width}×3 needs ${map.height * map.width * 3} values, got ${map.data.length}`)
  }
}

// ───────────────────────────── reductions and statistics ─────────────────────────────

/** Σ_c g_c per pixel. */
export function sumChannels(data: Float32Array): Float64Array {
  const out = new Float64Array(data.length / 3)
  for (let p = 0; p < out.length; p++) out[p] = data[3 * p] + data[3 * p + 1] + data[3 * p + 2]
  return out
}

/** Σ_c |g_c| per pixel. */
export function sumAbsChannels(data: Float32Array): Float64Array {
  const out = new Float64Array(data.length / 3)
  for (let p = 0; p < out.length; p++) out[p] = Math.abs(data[3 * p]) + Math.abs(data[3 * p + 1]) + Math.abs(data[3 * p + 2])
  return out
}

/** max_c |g_c| per pixel. */
export function maxAbsChannels(data: Float32Array): Float64Array {
  const out = new Float64Array(data.length / 3)
  for (let p = 0; p < out.length; p++) out[p] = Math.max(Math.abs(data[3 * p]), Math.abs(data[3 * p + 1]), Math.abs(data[3 * p + 2]))
  return out
}

/** The q-th percentile (0–100) with linear interpolation between order statistics (numpy's default). */
export function percentile(values: ArrayLike<number>, q: number): number {
  if (values.length === 0) throw new Error('percentile of an empty array')
  const sorted = Float64Array.from(values).sort()
  const pos = (Math.min(100, Math.max(0, q)) / 100) * (sorted.length - 1)
  const lo = Math.floor(pos)
  const hi = Math.ceil(pos)
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo)
}

function minOf(values: ArrayLike<number>): number {
  let m = Infinity
  for (let i = 0; i < values.length; i++) if (values[i] < m) m = values[i]
  return m
}

function maxAbsOf(values: ArrayLike<number>): number {
  let m = 0
  for (let i = 0; i < values.length; i++) m = Math.max(m, Math.abs(values[i]))
  return m
}

/** Per channel mean and standard deviation over H×W, over one or more maps. Unbiased (N − 1), like torch.std in the lab. */
function channelStats(maps: RawMap[]): { mean: Triple; std: Triple } {
  const mean: Triple = [0, 0, 0]
  const std: Triple = [0, 0, 0]
  let pixels = 0
  for (const m of maps) pixels += m.height * m.width
  for (let c = 0; c < 3; c++) {
    let sum = 0
    for (const m of maps) for (let i = c; i < m.data.length; i += 3) sum += m.data[i]
    const mu = sum / pixels
    let sq = 0
    for (const m of maps) for (let i = c; i < m.data.length; i += 3) sq += (m.data[i] - mu) ** 2
    mean[c] = mu
    std[c] = pixels > 1 ? Math.sqrt(sq / (pixels - 1)) : 0
  }
  return { mean, std }
}

function concat(arrays: Float64Array[]): Float64Array {
  const out = new Float64Array(arrays.reduce((n, a) => n + a.length, 0))
  let offset = 0
  for (const a of arrays) {
    out.set(a, offset)
    offset += a.length
  }
  return out
}

function scaleOf(maps: RawMap[], preset: PresetId): PresetScale {
  maps.forEach(checkMap)
  switch (preset) {
    case 'lab':
      return { preset, ...channelStats(maps) }
    case 'smoothgrad': {
      const m = concat(maps.map((x) => sumAbsChannels(x.data)))
      return { preset, min: minOf(m), clip: percentile(m, 99) }
    }
    case 'simonyan':
      return { preset, max: Math.max(...maps.map((x) => maxAbsOf(maxAbsChannels(x.data)))) }
    case 'diverging':
      return { preset, span: Math.abs(percentile(concat(maps.map((x) => sumChannels(x.data))), 99)) }
    case 'perturbation': {
      const maxAbs = Math.max(...maps.map((x) => maxAbsOf(x.data)))
      return { preset, maxAbs, amplification: maxAbs > 0 ? 0.2 / maxAbs : 0 }
    }
  }
}

/** The scale a preset would use for this map on its own. */
export function computeScale(map: RawMap, preset: PresetId): PresetScale {
  return scaleOf([map], preset)
}

/** One normalisation computed from both maps (captum#1103): pass it into both renders for a like-for-like pair. */
export function sharedScale(mapA: RawMap, mapB: RawMap, preset: PresetId): PresetScale {
  return scaleOf([mapA, mapB], preset)
}

// ───────────────────────────── rendering ─────────────────────────────

const clamp01 = (v: number): number => (v < 0 ? 0 : v > 1 ? 1 : Number.isNaN(v) ? 0 : v)

/** matplotlib `bwr`: blue (0,0,1) → white → red (1,0,0), linear in each half. */
export function blueWhiteRed(v: number): Triple {
  const t = clamp01(v)
  if (t < 0.5) {
    const u = t / 0.5
    return [255 * u, 255 * u, 255]
  }
  const u = (t - 0.5) / 0.5
  return [255, 255 * (1 - u), 255 * (1 - u)]
}

/** Render one map with a preset; `scale` (e.g. from sharedScale) overrides the map's own. */
export function renderMap(map: RawMap, preset: PresetId, scale?: PresetScale): RenderedMap {
  checkMap(map)
  const s = scale ?? computeScale(map, preset)
  if (s.preset !== preset) throw new Error(`scale is for preset '${s.preset}', not '${preset}'`)
  const pixels = map.height * map.width
  const rgba = new Uint8ClampedArray(pixels * 4)
  const d = map.data
  const gray = (p: number, v: number): void => {
    const b = 255 * clamp01(v)
    rgba[4 * p] = b
    rgba[4 * p + 1] = b
    rgba[4 * p + 2] = b
  }
  for (let p = 0; p < pixels; p++) {
    rgba[4 * p + 3] = 255
    switch (s.preset) {
      case 'lab':
        for (let c = 0; c < 3; c++) {
          // σ = 0 (a constant channel) draws as mid-grey, like a zero deviation
          const z = s.std[c] > 0 ? (d[3 * p + c] - s.mean[c]) / (3 * s.std[c]) : 0
          rgba[4 * p + c] = 255 * clamp01(z + 0.5)
        }
        break
      case 'smoothgrad': {
        const m = Math.abs(d[3 * p]) + Math.abs(d[3 * p + 1]) + Math.abs(d[3 * p + 2])
        const range = s.clip - s.min
        gray(p, range > 0 ? (m - s.min) / range : 0)
        break
      }
      case 'simonyan': {
        const m = Math.max(Math.abs(d[3 * p]), Math.abs(d[3 * p + 1]), Math.abs(d[3 * p + 2]))
        gray(p, s.max > 0 ? m / s.max : 0)
        break
      }
      case 'diverging': {
        const m = d[3 * p] + d[3 * p + 1] + d[3 * p + 2]
        const [r, g, b] = blueWhiteRed(s.span > 0 ? (m + s.span) / (2 * s.span) : 0.5)
        rgba[4 * p] = r
        rgba[4 * p + 1] = g
        rgba[4 * p + 2] = b
        break
      }
      case 'perturbation':
        for (let c = 0; c < 3; c++) rgba[4 * p + c] = 255 * clamp01(d[3 * p + c] * s.amplification + 0.5)
        break
    }
  }
  return { rgba, width: map.width, height: map.height, scale: s }
}

/** A short text of the scale, for captions and stamps ("p99 = 0.0123"). */
export function describeScale(scale: PresetScale): string {
  const f = (v: number): string => v.toPrecision(4)
  switch (scale.preset) {
    case 'lab':
      return `μ = [${scale.mean.map(f).join(', ')}], σ = [${scale.std.map(f).join(', ')}]`
    case 'smoothgrad':
      return `min = ${f(scale.min)}, p99 = ${f(scale.clip)}`
    case 'simonyan':
      return `max = ${f(scale.max)}`
    case 'diverging':
      return `s = |p99| = ${f(scale.span)}`
    case 'perturbation':
      return `max|δ| = ${f(scale.maxAbs)}, amplification ×${f(scale.amplification)}`
  }
}

/** The stamp of an exported figure: preset, convention and scale on one line. */
export function conventionStamp(scale: PresetScale, extra: string[] = []): string {
  const p = PRESETS[scale.preset]
  return [`${p.label}: ${p.convention}`, describeScale(scale), ...extra].join(' · ')
}

// ───────────────────────────── histogram ─────────────────────────────

export interface Histogram {
  /** The quantity binned: raw values (lab, perturbation) or the preset's per-pixel reduction. */
  quantity: 'raw' | 'sum |g|' | 'max |g|' | 'sum g'
  min: number
  max: number
  /** counts[i] covers [min + i·binWidth, min + (i+1)·binWidth); the last bin includes max. */
  counts: number[]
  binWidth: number
  /** Values beyond which the preset clips (lab: μ_c ± 3σ_c per channel, low then high). */
  thresholds: number[]
}

/** Histogram of what a preset displays, with the clip thresholds of `scale` (default: the map's own). */
export function histogram(map: RawMap, preset: PresetId, bins = 64, scale?: PresetScale): Histogram {
  checkMap(map)
  if (!Number.isInteger(bins) || bins < 1) throw new Error(`bins must be a positive integer, got ${bins}`)
  const s = scale ?? computeScale(map, preset)
  let values: ArrayLike<number>
  let quantity: Histogram['quantity']
  let thresholds: number[]
  switch (s.preset) {
    case 'lab':
      values = map.data
      quantity = 'raw'
      thresholds = [0, 1, 2].flatMap((c) => [s.mean[c] - 3 * s.std[c], s.mean[c] + 3 * s.std[c]])
      break
    case 'smoothgrad':
      values = sumAbsChannels(map.data)
      quantity = 'sum |g|'
      thresholds = [s.clip]
      break
    case 'simonyan':
      values = maxAbsChannels(map.data)
      quantity = 'max |g|'
      thresholds = [s.max]
      break
    case 'diverging':
      values = sumChannels(map.data)
      quantity = 'sum g'
      thresholds = [-s.span, s.span]
      break
    case 'perturbation':
      values = map.data
      quantity = 'raw'
      thresholds = [-s.maxAbs, s.maxAbs]
      break
  }
  // non-finite values (a diverged gradient) are left out of the bins rather than poisoning min/max
  let min = Infinity
  let max = -Infinity
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) continue
    min = Math.min(min, values[i])
    max = Math.max(max, values[i])
  }
  if (min > max) min = max = 0 // nothing finite
  const counts = new Array<number>(bins).fill(0)
  const binWidth = max > min ? (max - min) / bins : 1 / bins
  for (let i = 0; i < values.length; i++) {
    if (Number.isFinite(values[i])) counts[Math.min(bins - 1, Math.floor((values[i] - min) / binWidth))]++
  }
  return { quantity, min, max, counts, binWidth, thresholds }
}
