/**
 * How the cores are shared out: compute workers × wasm threads per worker (engine-notes.md §6).
 *
 * Workers scale batched work (SmoothGrad samples, twin runs) with ~1.9× on 2 workers but cannot cut the latency of
 * one batch-1 job (PGD's and feature visualization's sequential steps); wasm threads can (1.6–1.8× on 2 threads).
 * Workers × threads never exceeds the cores: oversubscribed wasm thread pools spin and lose time (measured: 2
 * workers × 2 threads on 2 cores made a twin PGD run 11 % slower than 2 × 1). So, automatically:
 * - up to 3 cores: one worker using every core — a lone job gets all of them, a twin run takes turns, which gives
 *   the first model's result in half the time and both in the same time as one worker per model;
 * - 4 cores and more: two workers (one per model of a twin run), each with half the cores (at most 8 threads,
 *   tfjs' limit).
 * ONNX Runtime is the exception below 4 cores: a second thread cuts its batch-1 latency only 1.34× (measured, width-64
 * CIFAR ResNet-18 on 2 cores: PGD-20 717 → 537 ms), so taking turns loses to one worker per model — a twin PGD-20 run
 * took 1,019 ms on 1 worker × 2 threads and 818 ms on 2 workers × 1 thread (docs/cli.md; a twin feature
 * visualization was not timed: one FV-200 took 4.2 s on 1 × 2 and 6.4 s on 2 × 1, so ~8.3 s in turn against ~6.4 s
 * side by side, estimated) — and the app nearly always runs both models. So for `onnxruntime`: two workers of one
 * thread.
 * Either number can be fixed in the settings; the other is then derived from the cores.
 */
export interface ComputeLayout {
  workers: number
  threads: number
}

/** tfjs-backend-wasm runs at most 8 threads. */
export const MAX_WASM_THREADS = 8

/**
 * `backend`: the compute backend the workers run (or are expected to run); it changes only the automatic layout.
 */
export function computeLayout(setting: { workers: number | null; threads: number | null }, cores: number, backend: string | null = null): ComputeLayout {
  const available = Math.max(1, Math.floor(cores))
  const clampThreads = (n: number): number => Math.min(MAX_WASM_THREADS, Math.max(1, Math.floor(n)))
  if (setting.workers !== null && setting.threads !== null) return { workers: Math.max(1, setting.workers), threads: clampThreads(setting.threads) }
  if (setting.workers !== null) {
    const workers = Math.max(1, setting.workers)
    return { workers, threads: clampThreads(available / workers) }
  }
  if (setting.threads !== null) {
    const threads = clampThreads(setting.threads)
    return { workers: Math.max(1, Math.floor(available / threads)), threads }
  }
  const workers = available >= 4 ? 2 : backend === 'onnxruntime' ? Math.min(2, available) : 1
  return { workers, threads: clampThreads(available / workers) }
}

export function describeLayout(layout: ComputeLayout): string {
  return `${layout.workers} worker${layout.workers === 1 ? '' : 's'} × ${layout.threads} thread${layout.threads === 1 ? '' : 's'}`
}
