/**
 * Backend selection over registered classifier factories (classifier.ts ClassifierFactory). Order (issue 12):
 * tfjs-node-gpu → tfjs-node (when the user installed them) → ONNX Runtime → wasm → cpu. Each backend is started in
 * this thread and must pass the self-check (self-check.ts: a tiny model's forward + gradient against known values)
 * before it is used; one that cannot start is skipped, one that starts but fails its check is skipped with a notice
 * (what the UI shows), never a crash. No backend import here: backends/index.ts registers the built-in ones.
 */
import type { ClassifierFactory } from '../classifier'
import { BACKEND_NAMES, type BackendName } from './names'
import { runSelfCheck } from './self-check'

export { BACKEND_NAMES, type BackendName }
export const DEFAULT_BACKENDS: BackendName[] = [...BACKEND_NAMES]

export type BackendFactories = Partial<Record<BackendName, ClassifierFactory>>

/** What happened to one backend of the order. */
export interface BackendAttempt {
  name: BackendName
  /** selected; unavailable: not registered or could not start (e.g. not installed); failed-check: started, wrong numbers */
  outcome: 'selected' | 'unavailable' | 'failed-check'
  reason?: string
}

export interface SelectedBackend {
  name: BackendName
  factory: ClassifierFactory
  /** Threads the runtime actually uses. */
  threads: number
  attempts: BackendAttempt[]
  /** One line per backend that started but failed its self-check (to be shown to the user). */
  notices: string[]
}

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e))

export async function selectClassifierBackend(
  factories: BackendFactories,
  order: readonly BackendName[] = DEFAULT_BACKENDS,
  options: { threads?: number; selfCheck?: boolean } = {}
): Promise<SelectedBackend> {
  const attempts: BackendAttempt[] = []
  const threads = options.threads ?? 1
  for (const name of order) {
    const factory = factories[name]
    if (!factory) {
      attempts.push({ name, outcome: 'unavailable', reason: 'not built into this version' })
      continue
    }
    try {
      await factory.start({ threads })
    } catch (e) {
      attempts.push({ name, outcome: 'unavailable', reason: messageOf(e) })
      continue
    }
    if (options.selfCheck !== false) {
      try {
        await runSelfCheck(factory)
      } catch (e) {
        attempts.push({ name, outcome: 'failed-check', reason: messageOf(e) })
        continue
      }
    }
    attempts.push({ name, outcome: 'selected' })
    const notices = attempts.filter((a) => a.outcome === 'failed-check').map((a) => `backend ${a.name} failed its start-up check (${a.reason}); using ${name}`)
    return { name, factory, threads: factory.threads?.() ?? threads, attempts, notices }
  }
  const tried = attempts.map((a) => `${a.name}: ${a.reason}`).join('; ')
  throw new Error(`no compute backend could be started (${tried})`)
}
