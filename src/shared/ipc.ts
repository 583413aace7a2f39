/**
 * THE contract between renderer and main. Every invoke channel lists its argument schema (validated in main by
 * src/main/ipc.ts) and its result type; every event lists its payload type. `window.api`, the main handlers and
 * the validators all derive from this file — nothing restates it.
 */
import { z } from 'zod'
import { MAX_BATCH_VALUES } from './images'
import { JobRequestSchema, type JobProgress, type MethodResult, type ModelRunInfo } from './jobs'
import type { ModelInfo } from './model-format'
import { SettingsPatchSchema, type Settings } from './settings'

/** Largest export the renderer may hand to main (a figure PNG, or a card embedding its images). */
export const MAX_EXPORT_BYTES = 64 * 1024 * 1024
/** Room for a message's JSON part (channel, parameters, settings); the bulk of a large message is its typed arrays. */
export const MAX_MESSAGE_HEADER_BYTES = 1024 * 1024
/**
 * The largest legitimate invoke on the wire: an export of MAX_EXPORT_BYTES (larger than the biggest image batch,
 * MAX_BATCH_VALUES float32 = 38.5 MB) plus its JSON part. Browser mode's WebSocket refuses anything larger.
 */
export const MAX_INVOKE_MESSAGE_BYTES = Math.max(MAX_EXPORT_BYTES, MAX_BATCH_VALUES * 4) + MAX_MESSAGE_HEADER_BYTES + 64

const jobId = z.string().regex(/^job-[0-9]+$/, 'expected a job id like "job-1"')
const sampleId = z.string().regex(/^[A-Za-z0-9._-]+$/, 'expected a sample file name')

export const ExportRequestSchema = z.object({
  suggestedName: z.string().regex(/^[A-Za-z0-9 ._()-]{1,128}$/, 'file name: letters, digits, space, ".", "_", "-", "(", ")"'),
  kind: z.enum(['png', 'json', 'csv']),
  data: z.instanceof(Uint8Array, { message: 'expected a Uint8Array' }).refine((d) => d.length <= MAX_EXPORT_BYTES, `export larger than ${MAX_EXPORT_BYTES / 2 ** 20} MiB`)
})

/** Argument tuples of every invoke channel. */
export const invokeArgs = {
  'app:info': z.tuple([]),
  'models:list': z.tuple([]),
  'samples:list': z.tuple([]),
  'samples:read': z.tuple([sampleId]),
  'jobs:start': z.tuple([JobRequestSchema]),
  'jobs:cancel': z.tuple([jobId]),
  'settings:get': z.tuple([]),
  'settings:set': z.tuple([SettingsPatchSchema]),
  'settings:reset': z.tuple([]),
  'export:save': z.tuple([ExportRequestSchema])
} as const

export interface AppInfo {
  version: string
  /** 'desktop' = Electron; 'browser' = `npm run serve`; 'test' = the Playwright bridge. */
  mode: 'desktop' | 'browser' | 'test'
  backend: string
  /** Backends that started but failed their start-up check, one line each (the app fell back to `backend`). */
  backendNotices: string[]
  workers: number
  /** wasm threads per worker. */
  threads: number
  platform: string
}

export interface SampleInfo {
  id: string
  title: string
  /** Legacy: a class name, matched by name against any model's classes (samples.json before per-dataset labels). */
  label: string | null
  /** The photo's class per dataset key (`cifar10`, `imagenette`, …; see renderer lib/labels.ts datasetKey). */
  labels?: Record<string, string>
  /** Absent = a photo. Clip art is offered but not chosen as a default image: the exercises are about photos. */
  kind?: 'photo' | 'clipart'
  source: string
  license: string
}

/** Result types of every invoke channel. */
export interface InvokeResults {
  'app:info': AppInfo
  'models:list': ModelInfo[]
  'samples:list': SampleInfo[]
  'samples:read': Uint8Array
  'jobs:start': { jobId: string }
  'jobs:cancel': { cancelled: boolean }
  'settings:get': Settings
  'settings:set': Settings
  'settings:reset': Settings
  /** saved = where it went (desktop); download = the renderer should offer the bytes itself (browser mode). */
  'export:save': { status: 'saved'; path: string } | { status: 'cancelled' } | { status: 'download' }
}

export interface JobProgressEvent {
  jobId: string
  modelId: string
  progress: JobProgress
}
export interface JobFinishedEvent {
  jobId: string
  results: { modelId: string; result: MethodResult; run: ModelRunInfo }[]
}
export interface JobFailedEvent {
  jobId: string
  /** 'cancelled' when the user cancelled; 'error' otherwise. */
  reason: 'cancelled' | 'error'
  message: string
}

/** Payloads of every event, main → renderer. */
export interface EventPayloads {
  'job:progress': JobProgressEvent
  'job:finished': JobFinishedEvent
  'job:failed': JobFailedEvent
}

export type InvokeChannel = keyof typeof invokeArgs
export type EventChannel = keyof EventPayloads
export type InvokeArgs<C extends InvokeChannel> = z.infer<(typeof invokeArgs)[C]>
/** What a caller may pass (before zod defaults are applied). */
export type InvokeInput<C extends InvokeChannel> = z.input<(typeof invokeArgs)[C]>

export const INVOKE_CHANNELS = Object.keys(invokeArgs) as InvokeChannel[]
export const EVENT_CHANNELS: readonly EventChannel[] = ['job:progress', 'job:finished', 'job:failed']

/** The main-side implementation of the contract (electron-free; see src/main/handlers.ts). */
export type Handlers = { [C in InvokeChannel]: (...args: InvokeArgs<C>) => Promise<InvokeResults[C]> }

/** What the renderer sees as `window.api`. */
export interface RendererApi {
  invoke<C extends InvokeChannel>(channel: C, ...args: InvokeInput<C>): Promise<InvokeResults[C]>
  on<E extends EventChannel>(event: E, listener: (payload: EventPayloads[E]) => void): () => void
}

/** Validate an invoke payload; throws an Error naming the channel and the first problem. */
export function parseInvokeArgs<C extends InvokeChannel>(channel: C, args: unknown): InvokeArgs<C> {
  const schema: z.ZodType | undefined = Object.hasOwn(invokeArgs, channel) ? invokeArgs[channel] : undefined
  if (!schema) throw new Error(`Unknown IPC channel '${String(channel)}'`)
  const parsed = schema.safeParse(args)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const where = issue.path.length ? ` at ${issue.path.join('.')}` : ''
    throw new Error(`Invalid payload for '${channel}'${where}: ${issue.message}`)
  }
  return parsed.data as InvokeArgs<C>
}
