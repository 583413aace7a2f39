/**
 * lib/chart's attachment, with the initial config read untracked: otherwise the attachment's own effect depends
 * on the chart data and Svelte tears the Chart down and re-creates it on every telemetry update (measured: 5
 * Chart instances for 2 progress events). Updates still flow through lib/chart's inner effect.
 * (Remove once lib/chart.svelte.ts reads its initial config with `untrack`.)
 */
import { untrack } from 'svelte'
import type { Attachment } from 'svelte/attachments'
import type { ChartConfiguration, ChartType } from 'chart.js'
import { chart } from '../../lib/chart'

export function liveChart<T extends ChartType = 'line'>(config: () => ChartConfiguration<T>): Attachment<HTMLCanvasElement> {
  const attach = chart(config)
  return (canvas) => untrack(() => attach(canvas))
}
