/**
 * Export of the current panel: a PNG composed on a canvas from what the view shows (stamped with the
 * convention), an experiment card (JSON with every parameter, seed, model ids + weight hashes, preset, the crop
 * and the image itself as a PNG data URL, plus the other images of the strip — views such as the robustness curve
 * run on all of them — so opening it restores the exact state), and per-step telemetry as CSV.
 * Everything goes through `export:save`; when main answers {status: 'download'} (browser mode) the renderer
 * offers the bytes itself through an <a download> blob URL.
 */
import { z } from 'zod'
import type { StepTelemetry } from '../../../shared/jobs'
import type { Crop } from './resize'

/** One picture of a panel (already rendered RGBA at model size). */
export interface ExportImage {
  caption: string
  rgba: Uint8ClampedArray
  width: number
  height: number
}

export interface ExportPanel {
  title: string
  images: ExportImage[]
  /** Lines printed under the panel (predictions, scale, flip step…). */
  notes: string[]
}

/** What a view hands to the Export component. */
export interface ExportSnapshot {
  view: string
  /** Every parameter of the view, flat (what the view restores from). */
  params: Record<string, number | string | boolean | null>
  preset: string | null
  seed: number | null
  /** The convention stamp printed on the PNG. */
  stamp: string
  panels: ExportPanel[]
  /** Per model id. */
  telemetry: Record<string, StepTelemetry[]>
}

export const CARD_FORMAT = 'robust-lens/experiment@1'

const primitive = z.union([z.number(), z.string().max(256), z.boolean(), z.null()])

const CardImageSchema = z.object({
  name: z.string().max(256),
  label: z.string().nullable(),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  crop: z.object({ x: z.number().int().nonnegative(), y: z.number().int().nonnegative(), size: z.number().int().positive() }),
  png: z.string().startsWith('data:image/png;base64,', 'the image must be a PNG data URL')
})
export type CardImage = z.infer<typeof CardImageSchema>

export const ExperimentCardSchema = z.object({
  format: z.literal(CARD_FORMAT),
  createdAt: z.string(),
  app: z.object({ version: z.string(), backend: z.string() }).partial().optional(),
  view: z.string().max(64),
  params: z.record(z.string().max(64), primitive),
  preset: z.string().max(64).nullable(),
  seed: z.number().int().nullable(),
  pair: z.string().nullable(),
  models: z.array(z.object({ id: z.string(), role: z.enum(['standard', 'robust']), weightsSha256: z.string().nullable() })),
  /** The current image. */
  image: CardImageSchema.nullable(),
  /** The other images of the strip, in order (absent in cards that had none). */
  others: z.array(CardImageSchema).max(500).optional()
})

export type ExperimentCard = z.infer<typeof ExperimentCardSchema>

export interface CardInput {
  snapshot: ExportSnapshot
  pair: string | null
  models: { id: string; role: 'standard' | 'robust'; weightsSha256: string | null }[]
  image: CardImage | null
  others?: CardImage[]
  app?: { version: string; backend: string }
  now?: Date
}

export function buildCard(input: CardInput): ExperimentCard {
  return {
    format: CARD_FORMAT,
    createdAt: (input.now ?? new Date()).toISOString(),
    app: input.app,
    view: input.snapshot.view,
    params: input.snapshot.params,
    preset: input.snapshot.preset,
    seed: input.snapshot.seed,
    pair: input.pair,
    models: input.models,
    image: input.image,
    ...(input.others?.length ? { others: input.others } : {})
  }
}

/** Parse a card file's text; throws an Error that says what is wrong. */
export function parseCard(text: string): ExperimentCard {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    throw new Error('not an experiment card: the file is not valid JSON')
  }
  const parsed = ExperimentCardSchema.safeParse(json)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new Error(`not a valid experiment card${issue.path.length ? ` (${issue.path.join('.')})` : ''}: ${issue.message}`)
  }
  return parsed.data
}

export function dataUrlToBytes(dataUrl: string): Uint8Array<ArrayBuffer> {
  const base64 = dataUrl.slice(dataUrl.indexOf(',') + 1)
  const bin = atob(base64)
  const bytes = new Uint8Array(bin.length)
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i)
  return bytes
}

const TELEMETRY_COLUMNS = ['model', 'step', 'image', 'loss', 'pTrue', 'pTarget', 'deltaL2', 'deltaLinf', 'gradNorm', 'activation', 'top1', 'top1p'] as const

/** Per-step telemetry, one row per model × step × image. */
export function telemetryCsv(telemetry: Record<string, StepTelemetry[]>): string {
  const rows: string[] = [TELEMETRY_COLUMNS.join(',')]
  for (const [model, steps] of Object.entries(telemetry)) {
    for (const t of steps) {
      for (let n = 0; n < t.loss.length; n++) {
        const top = t.top5[n]?.[0]
        const cells = [model, t.step, n, t.loss[n], t.pTrue[n], t.pTarget[n], t.deltaL2[n], t.deltaLinf[n], t.gradNorm[n], t.activation?.[n] ?? '', top?.index ?? '', top?.p ?? '']
        rows.push(cells.map(csvCell).join(','))
      }
    }
  }
  return rows.join('\n') + '\n'
}

function csvCell(v: string | number | undefined | null): string {
  if (v === undefined || v === null) return ''
  const s = String(v)
  return /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s
}

/** File-name-safe stem for exports: the IPC contract allows letters, digits, space, . _ - ( ). */
export function exportName(view: string, ext: 'png' | 'json' | 'csv', now: Date = new Date()): string {
  const stamp = now.toISOString().slice(0, 19).replaceAll(':', '-').replace('T', '_')
  return `robust-lens_${view.replace(/[^A-Za-z0-9._-]/g, '-')}_${stamp}.${ext}`
}

// ───────────────────────────── PNG composition ─────────────────────────────

const CELL = 192
const PAD = 12
const FONT = '13px system-ui, sans-serif'

/** Wrap text to a width (canvas measureText). */
function wrap(ctx: CanvasRenderingContext2D, text: string, width: number): string[] {
  const lines: string[] = []
  let line = ''
  for (const word of text.split(' ')) {
    const next = line ? `${line} ${word}` : word
    if (ctx.measureText(next).width > width && line) {
      lines.push(line)
      line = word
    } else line = next
  }
  if (line) lines.push(line)
  return lines
}

/** Compose the snapshot's panels side by side, pictures scaled ×N without smoothing, stamp at the bottom. */
export async function composePng(snapshot: ExportSnapshot, theme: { background: string; text: string } = { background: '#ffffff', text: '#111111' }): Promise<Uint8Array<ArrayBuffer>> {
  const cols = Math.max(1, ...snapshot.panels.map((p) => p.images.length))
  const width = PAD + snapshot.panels.length * (cols * (CELL + PAD) + PAD)
  const canvas = document.createElement('canvas')
  const probe = canvas.getContext('2d')
  if (!probe) throw new Error('no 2D canvas available to compose the PNG')
  probe.font = FONT
  const stampLines = wrap(probe, snapshot.stamp, width - 2 * PAD)
  const maxNotes = Math.max(0, ...snapshot.panels.map((p) => p.notes.length))
  const height = PAD + 20 + CELL + 18 + maxNotes * 16 + PAD + stampLines.length * 16 + PAD
  canvas.width = width
  canvas.height = height
  const ctx = canvas.getContext('2d')
  if (!ctx) throw new Error('no 2D canvas available to compose the PNG')
  ctx.fillStyle = theme.background
  ctx.fillRect(0, 0, width, height)
  ctx.fillStyle = theme.text
  ctx.font = FONT
  ctx.textBaseline = 'top'
  snapshot.panels.forEach((panel, pi) => {
    const x0 = PAD + pi * (cols * (CELL + PAD) + PAD)
    ctx.font = `bold ${FONT}`
    ctx.fillText(panel.title, x0, PAD)
    ctx.font = FONT
    panel.images.forEach((img, ii) => {
      const x = x0 + ii * (CELL + PAD)
      const y = PAD + 20
      const tile = document.createElement('canvas')
      tile.width = img.width
      tile.height = img.height
      tile.getContext('2d')?.putImageData(new ImageData(new Uint8ClampedArray(img.rgba), img.width, img.height), 0, 0)
      ctx.imageSmoothingEnabled = false
      ctx.drawImage(tile, x, y, CELL, (CELL * img.height) / img.width)
      ctx.fillText(img.caption, x, y + CELL + 2, CELL)
    })
    panel.notes.forEach((note, ni) => ctx.fillText(note, x0, PAD + 20 + CELL + 18 + ni * 16, cols * (CELL + PAD)))
  })
  stampLines.forEach((line, i) => ctx.fillText(line, PAD, height - PAD - (stampLines.length - i) * 16))
  const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/png'))
  if (!blob) throw new Error('the canvas could not be encoded as PNG')
  return new Uint8Array(await blob.arrayBuffer())
}

// ───────────────────────────── saving ─────────────────────────────

const MIME = { png: 'image/png', json: 'application/json', csv: 'text/csv' } as const

/** Save through main; offer a download when main says so. Returns a short status text for the UI. */
export async function saveExport(suggestedName: string, kind: 'png' | 'json' | 'csv', data: Uint8Array<ArrayBuffer>): Promise<string> {
  const answer = await window.api.invoke('export:save', { suggestedName, kind, data })
  switch (answer.status) {
    case 'saved':
      return `Saved ${answer.path}`
    case 'cancelled':
      return 'Export cancelled'
    case 'download': {
      const url = URL.createObjectURL(new Blob([data], { type: MIME[kind] }))
      const a = document.createElement('a')
      a.href = url
      a.download = suggestedName
      a.style.display = 'none'
      document.body.append(a)
      a.click()
      a.remove()
      setTimeout(() => URL.revokeObjectURL(url), 10_000)
      return `Downloaded ${suggestedName}`
    }
  }
}

export const utf8 = (text: string): Uint8Array<ArrayBuffer> => new TextEncoder().encode(text) as Uint8Array<ArrayBuffer>
