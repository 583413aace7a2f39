/**
 * Chart.js through a Svelte attachment: `<canvas {@attach chart(() => config)}>`.
 * The Chart is created once on mount; a child effect re-reads the config getter and copies the new data and
 * options into the existing Chart, coalesced to one `update('none')` per animation frame (telemetry can arrive
 * 20 times a second per model); the Chart is destroyed when the element goes away.
 * Passing a getter (not the config itself) is what keeps the chart alive across data changes: an attachment
 * whose argument changes is torn down and re-created.
 */
import { Chart, registerables, type ChartConfiguration, type ChartType } from 'chart.js'
import { untrack } from 'svelte'
import type { Attachment } from 'svelte/attachments'

let registered = false

export function chart<T extends ChartType = 'line'>(config: () => ChartConfiguration<T>): Attachment<HTMLCanvasElement> {
  return (canvas) => {
    if (!registered) {
      Chart.register(...registerables)
      registered = true
    }
    const withDefaults = (c: ChartConfiguration<T>): ChartConfiguration<T> =>
      ({ ...c, options: { animation: false, responsive: true, maintainAspectRatio: false, ...c.options } }) as ChartConfiguration<T>
    // untracked: reading the config here would make the attachment itself depend on the data, and every new
    // telemetry step would destroy and re-create the chart; the child effect below tracks it instead
    const instance = new Chart(canvas, withDefaults(untrack(config)))
    let frame: number | null = null
    let first = true
    $effect(() => {
      const next = config()
      if (first) {
        first = false
        return
      }
      const full = withDefaults(next)
      instance.data = full.data as typeof instance.data
      instance.options = full.options as typeof instance.options
      if (frame === null) {
        frame = requestAnimationFrame(() => {
          frame = null
          instance.update('none')
        })
      }
    })
    return () => {
      if (frame !== null) cancelAnimationFrame(frame)
      instance.destroy()
    }
  }
}
