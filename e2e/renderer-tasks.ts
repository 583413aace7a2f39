/**
 * The renderer's long tasks measured in main-thread CPU time, from a Chromium trace.
 *
 * Why not the `longtask` PerformanceObserver: it reports wall-clock durations, and on a 2-core machine whose workers
 * compute on both cores (and on CI's shared VMs) the page's main thread is simply not scheduled for part of a task: an
 * 80 ms busy loop measured 82 ms wall but 44 ms of thread time here on an idle machine, and a task of 62 ms wall failed
 * CI once. The target — no renderer task over 50 ms — is about the work the renderer does per task, which is the thread
 * time (`tdur`) of Chromium's top-level task events on `CrRendererMain`; wall-clock durations are kept for the log.
 *
 * Tasks in which the bridge delivered a main → page event (marked by bridge-page.ts) are the harness's cost — decoding
 * the payload from CDP's JSON, which Electron's IPC does not do — and are returned apart; the app's handling of the
 * event runs in a task of its own and is measured.
 */
import type { Browser, Page } from '@playwright/test'
import { HARNESS_DELIVERY_MARK } from './harness-mark'

export interface RendererTask {
  wallMs: number
  cpuMs: number
}

export interface RendererTasks {
  /** The page's own tasks at least `minWallMs` long. */
  app: RendererTask[]
  /** Tasks in which the bridge delivered an event (not the app's cost), at least `minWallMs` long. */
  harness: RendererTask[]
}

interface TraceEvent {
  name: string
  ph: string
  pid: number
  tid: number
  ts: number
  dur?: number
  tdur?: number
  args?: { name?: string }
}

/** Runs `during` with tracing on and returns the renderer main-thread tasks longer than `minWallMs` wall-clock. */
export async function rendererTasksDuring(browser: Browser, page: Page, during: () => Promise<void>, minWallMs = 20): Promise<RendererTasks> {
  await browser.startTracing(page, { categories: ['toplevel', 'blink.user_timing', '__metadata'] })
  let trace: Buffer
  try {
    await during()
  } finally {
    trace = await browser.stopTracing()
  }
  const events = (JSON.parse(trace.toString('utf8')) as { traceEvents: TraceEvent[] }).traceEvents
  const thread = (e: TraceEvent): string => `${e.pid}/${e.tid}`
  const rendererMain = new Set(events.filter((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain').map(thread))
  if (rendererMain.size === 0) throw new Error('the trace has no renderer main thread')
  const deliveries = events.filter((e) => e.name === HARNESS_DELIVERY_MARK && rendererMain.has(thread(e)))
  const tasks = events.filter((e) => e.ph === 'X' && e.name === 'ThreadControllerImpl::RunTask' && rendererMain.has(thread(e)))
  // a Chromium that renamed its task events would otherwise pass every check with nothing measured
  if (tasks.length === 0) throw new Error('the trace has no top-level tasks on the renderer main thread')
  const result: RendererTasks = { app: [], harness: [] }
  for (const e of tasks) {
    const dur = e.dur ?? 0
    if (dur / 1000 < minWallMs) continue
    if (e.tdur === undefined) throw new Error('the trace has no thread times (tdur)')
    const task = { wallMs: dur / 1000, cpuMs: e.tdur / 1000 }
    const delivered = deliveries.some((d) => thread(d) === thread(e) && d.ts >= e.ts && d.ts <= e.ts + dur)
    ;(delivered ? result.harness : result.app).push(task)
  }
  return result
}

const format = (tasks: RendererTask[]): string => JSON.stringify(tasks.map((t) => `${Math.round(t.wallMs)} wall / ${Math.round(t.cpuMs)} cpu`))

export const formatTasks = (tasks: RendererTasks): string => `app ${format(tasks.app)}; bridge deliveries ${format(tasks.harness)}`
