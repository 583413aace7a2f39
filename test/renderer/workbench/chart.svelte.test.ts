import { describe, expect, it, vi } from 'vitest'
import { render } from '@testing-library/svelte'
import { flushSync } from 'svelte'

const log: string[] = []
vi.mock('chart.js', () => {
  class Chart {
    static register(): void {
      log.push('register')
    }
    data: { datasets: { data: number[] }[] }
    constructor(_canvas: unknown, config: { data: Chart['data'] }) {
      this.data = config.data
      log.push(`create ${JSON.stringify(config.data.datasets[0].data)}`)
    }
    options = {}
    update(): void {
      log.push(`update ${JSON.stringify(this.data.datasets[0].data)}`)
    }
    destroy(): void {
      log.push('destroy')
    }
  }
  return { Chart, registerables: [] }
})

const { default: ChartHarness } = await import('./ChartHarness.svelte')

describe('chart attachment', () => {
  it('creates the chart once, updates it once per animation frame with the latest data, destroys it on unmount', async () => {
    const values = $state({ current: [1, 2] })
    const { unmount } = render(ChartHarness, { values })
    expect(log.filter((l) => l.startsWith('create'))).toEqual(['create [1,2]'])
    values.current = [1, 2, 3]
    flushSync()
    values.current = [1, 2, 3, 4]
    flushSync()
    await new Promise((resolve) => requestAnimationFrame(() => resolve(null)))
    expect(log.filter((l) => l.startsWith('create'))).toHaveLength(1)
    expect(log.filter((l) => l.startsWith('update'))).toEqual(['update [1,2,3,4]'])
    unmount()
    expect(log.at(-1)).toBe('destroy')
  })
})
