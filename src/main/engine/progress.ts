/** Cancellation points and progress/ETA bookkeeping shared by every method. */
import type { JobProgress, StepTelemetry } from '../../shared/jobs'
import { CancelledError } from './api'

/**
 * Yields to the event loop (so an abort message can be delivered to a worker between steps), then throws
 * CancelledError if the signal fired.
 */
export async function checkpoint(signal: AbortSignal): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve))
  if (signal.aborted) throw new CancelledError()
}

export class ProgressTracker {
  private readonly started = performance.now()
  private done = 0

  constructor(
    private total: number,
    private readonly onProgress: (p: JobProgress) => void
  ) {}

  get completed(): number {
    return this.done
  }

  /** Lowers the total when work is skipped (e.g. restarts no longer needed). */
  setTotal(total: number): void {
    this.total = Math.max(total, this.done)
  }

  advance(by = 1, telemetry?: StepTelemetry): void {
    this.done += by
    const elapsed = performance.now() - this.started
    const etaMs = this.done > 0 ? (elapsed / this.done) * Math.max(0, this.total - this.done) : null
    this.onProgress({ step: this.done, totalSteps: this.total, etaMs, ...(telemetry ? { telemetry } : {}) })
  }
}
