/**
 * The pieces the side-by-side views share: the result panel shell, the small parameter inputs, the linked /
 * unlinked parameter boxes, the SideBySide run wiring and the settings helpers.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte'
import { createRawSnippet, flushSync } from 'svelte'
import type { AttackResult, JobRequestInput, StepTelemetry } from '../../../src/shared/jobs'
import type { ImageBatch } from '../../../src/shared/images'
import type { ModelInfo } from '../../../src/shared/model-format'
import { fakeModelInfo, installApiMock, type ApiMock } from '../workbench/api-mock'

/** Chart.js cannot draw in happy-dom: record each chart's latest labels instead. */
const charts: { canvas: HTMLCanvasElement; labels: unknown[] }[] = []
vi.mock('chart.js', () => {
  class Chart {
    entry: (typeof charts)[number]
    data: { labels?: unknown[] }
    options: unknown
    static register(): void {}
    constructor(canvas: HTMLCanvasElement, cfg: { data: { labels?: unknown[] } }) {
      this.data = cfg.data
      this.entry = { canvas, labels: cfg.data.labels ?? [] }
      charts.push(this.entry)
    }
    update(): void {
      this.entry.labels = this.data.labels ?? []
    }
    destroy(): void {}
  }
  return { Chart, registerables: [] }
})

const { default: ResultPanel } = await import('../../../src/renderer/src/components/ResultPanel.svelte')
const { default: RadioRow } = await import('../../../src/renderer/src/components/RadioRow.svelte')
const { default: Check } = await import('../../../src/renderer/src/components/Check.svelte')
const { default: SeedInput } = await import('../../../src/renderer/src/components/SeedInput.svelte')
const { default: LinkedControls } = await import('../../../src/renderer/src/components/LinkedControls.svelte')
const { SideBySide } = await import('../../../src/renderer/src/state/side-by-side/side-by-side.svelte')
const { LinkedParams } = await import('../../../src/renderer/src/state/side-by-side/linked.svelte')
const { followModel, persistRecord } = await import('../../../src/renderer/src/state/side-by-side/persist.svelte')
const { SettingsState } = await import('../../../src/renderer/src/state/settings.svelte')
const { jobEvents } = await import('../../../src/renderer/src/state/jobs.svelte')

const STD = fakeModelInfo('std', 'standard')
const ROB = fakeModelInfo('rob', 'robust')
const RUN = { weightsSha256: 'a', backend: 'cpu', ms: 1 }

const step = (n: number): StepTelemetry => ({ step: n, loss: [n], pTrue: [0.5], pTarget: [0.1], top5: [[]], deltaL2: [0], deltaLinf: [0], gradNorm: [1] })
const nextFrame = (): Promise<void> => new Promise((resolve) => requestAnimationFrame(() => resolve()))

let mock: ApiMock
beforeEach(() => {
  jobEvents.reset()
  charts.length = 0
  mock = installApiMock()
  let n = 0
  mock.answers['jobs:start'] = () => ({ jobId: `job-${++n}` })
})

describe('ResultPanel', () => {
  it('follows its model\'s run: idle, running with the live steps charted, then done with the result\'s steps in the same chart', async () => {
    const state = $state({ running: false, result: null as { telemetry: StepTelemetry[] } | null, live: [] as StepTelemetry[] })
    const asked: string[] = []
    const runs = {
      get running() {
        return state.running
      },
      result: (id: string, method: string) => (asked.push(`${id}/${method}`), state.result),
      history: (id: string, method: string) => (asked.push(`${id}/${method}`), state.result?.telemetry ?? state.live)
    }
    render(ResultPanel, {
      role: 'robust',
      model: ROB,
      runs,
      method: 'featureViz',
      label: 'robust panel',
      chartLabel: 'robust chart',
      chart: (history: StepTelemetry[]) => ({ type: 'line' as const, data: { labels: history.map((s) => s.step), datasets: [] } }),
      chartHeight: 150,
      children: createRawSnippet(() => ({ render: () => '<p>panel content</p>' }))
    })
    const panel = screen.getByTestId('result-robust')
    expect(panel.dataset.state).toBe('idle')
    expect(panel.querySelector('h3')?.textContent).toBe('Robust · rob')
    expect(panel.textContent).toContain('panel content')
    expect(asked.every((a) => a === 'rob/featureViz')).toBe(true)

    state.running = true
    state.live = [step(1), step(2)]
    flushSync()
    await nextFrame()
    expect(panel.dataset.state).toBe('running')
    expect(charts.map((c) => c.labels)).toEqual([[1, 2]])

    state.running = false
    state.result = { telemetry: [step(1), step(2), step(3)] }
    flushSync()
    await nextFrame()
    expect(panel.dataset.state).toBe('done')
    // one Chart for the panel's canvas, updated in place
    expect(charts).toHaveLength(1)
    expect(charts[0].canvas.dataset.testid).toBe('chart-robust')
    expect(charts[0].labels).toEqual([1, 2, 3])
  })

  it('shows a given title instead of the role and model id', () => {
    const runs = { running: false, result: () => null, history: () => [] }
    const chart = () => ({ type: 'line' as const, data: { datasets: [] } })
    render(ResultPanel, { role: 'standard', model: STD, runs, method: 'attack', title: 'Standard (contrast) · std', label: 'l', chartLabel: 'c', chart, chartHeight: 100 })
    expect(screen.getByTestId('result-standard').querySelector('h3')?.textContent).toBe('Standard (contrast) · std')
  })
})

describe('small parameter inputs', () => {
  it('RadioRow checks the current value, reports a click as that option\'s value, and keeps two groups apart', async () => {
    const picked: string[] = []
    const options = [
      { value: 'l2', text: 'L2', testid: 'opt-l2' },
      { value: 'linf', text: 'L∞', testid: 'opt-linf' }
    ] as const
    render(RadioRow<'l2' | 'linf'>, { name: 'Threat', label: 'Threat model', options, value: 'l2', onchange: (v: 'l2' | 'linf') => picked.push(v) })
    render(RadioRow<'l2' | 'linf'>, { name: 'Other', label: 'Other group', options: [{ value: 'l2', text: 'L2' }, { value: 'linf', text: 'L∞' }], value: 'l2', onchange: () => {} })
    expect((screen.getByTestId('opt-l2') as HTMLInputElement).checked).toBe(true)
    await fireEvent.click(screen.getByTestId('opt-linf'))
    expect(picked).toEqual(['linf'])
    const [first, second] = screen.getAllByRole('radiogroup')
    expect(first.getAttribute('aria-label')).toBe('Threat model')
    const groupName = (g: HTMLElement): string | null => g.querySelector('input')!.getAttribute('name')
    expect(groupName(first)).not.toBe(groupName(second))
    // the other group's selection is untouched by the first group's click
    expect((second.querySelector('input[type="radio"]') as HTMLInputElement).checked).toBe(true)
  })

  it('Check reports the new state; SeedInput floors to a whole number ≥ 0', async () => {
    const checks: boolean[] = []
    const seeds: number[] = []
    render(Check, { checked: false, text: 'Random start', onchange: (v: boolean) => checks.push(v), testid: 'random' })
    render(SeedInput, { value: 3, onchange: (v: number) => seeds.push(v) })
    await fireEvent.click(screen.getByTestId('random'))
    expect(checks).toEqual([true])
    const seed = screen.getByLabelText('Seed') as HTMLInputElement
    expect(seed.value).toBe('3')
    for (const typed of ['4.9', '-2', '']) await fireEvent.change(seed, { target: { value: typed } })
    expect(seeds).toEqual([4, 0, 0])
  })
})

const robustFirst = (roles: ('standard' | 'robust')[]): ('standard' | 'robust')[] => [...roles].reverse()

describe('LinkedControls', () => {
  it('shows one box for both models while linked (for the linked role, first model\'s scales), one per model in display order when not', () => {
    const side = new SideBySide<{ eps: number }>(() => ({ standard: STD, robust: ROB }), { order: robustFirst })
    const params = new LinkedParams({ eps: 1 })
    const box = createRawSnippet((p: () => { role: string; model: ModelInfo | undefined; heading: string }) => ({
      render: () => `<p class="box" data-role="${p().role}" data-model="${p().model?.id}">${p().heading}</p>`
    }))
    const { container } = render(LinkedControls<{ eps: number }>, { side, params, linkedRole: 'robust', noun: 'Parameters', box })
    const boxes = (): string[] => [...container.querySelectorAll('.box')].map((b) => `${(b as HTMLElement).dataset.role}/${(b as HTMLElement).dataset.model}: ${b.textContent}`)
    expect(boxes()).toEqual(['robust/rob: Parameters (both models)'])
    expect(container.querySelector('.two')).toBeNull()

    params.setLinked(false)
    flushSync()
    expect(boxes()).toEqual(['robust/rob: Parameters: robust', 'standard/std: Parameters: standard'])
    expect(container.querySelector('.two')).not.toBeNull()
  })
})

function attackResult(): AttackResult {
  const probs = { probabilities: new Float32Array([0.2, 0.5, 0.3]), classes: 3 }
  return {
    method: 'attack',
    adversarial: new Float32Array(12),
    perturbation: new Float32Array(12),
    shape: [1, 2, 2, 3],
    trueClass: [1],
    targetClass: null,
    before: probs,
    after: probs,
    flippedAt: [null],
    telemetry: [step(1)],
    iterates: []
  }
}

describe('SideBySide', () => {
  const batch = (m: ModelInfo): ImageBatch => ({ data: new Float32Array(12).fill(m.role === 'robust' ? 1 : 0), shape: [1, 2, 2, 3] })
  const toParams = (form: { eps: number }) => ({ method: 'attack' as const, threat: 'l2' as const, eps: form.eps, stepSize: 0.1, steps: 1, randomStart: false, restarts: 0, useBest: false, targeted: false, targetClass: null, trueClass: null, keepIterates: 0, seed: 0 })
  const starts = (): JobRequestInput[] => mock.calls.filter((c) => c.channel === 'jobs:start').map((c) => c.args[0] as JobRequestInput)

  it('linked: one twin job; the sides keep the parameters they ran with, and each side\'s result comes with the batch it was sent', async () => {
    const side = new SideBySide<{ eps: number }>(() => ({ standard: STD, robust: ROB }))
    const params = new LinkedParams({ eps: 0.5 })
    const done = side.run(params, batch, toParams)
    params.set('standard', 'eps', 2)
    expect(side.formFor('robust', params).eps).toBe(0.5)
    await waitFor(() => expect(starts()).toHaveLength(1))
    expect(starts()[0].models).toEqual(['std', 'rob'])
    mock.emit('job:finished', {
      jobId: 'job-1',
      results: ['std', 'rob'].map((id) => ({ modelId: id, result: attackResult(), run: { ...RUN, modelId: id } }))
    })
    expect(await done).toBe(true)
    const entries = side.entries('attack')
    expect(entries.map((e) => [e.role, e.model.id])).toEqual([
      ['standard', 'std'],
      ['robust', 'rob']
    ])
    // the twin job sends the first model's batch to both
    expect(entries[1].sent?.[0]).toBe(0)
  })

  it('unlinked: one job per model with its own parameters; a failed side makes the run unfinished', async () => {
    const side = new SideBySide<{ eps: number }>(() => ({ standard: STD, robust: ROB }))
    const params = new LinkedParams({ eps: 0.5 })
    params.setLinked(false)
    params.set('robust', 'eps', 1.5)
    const done = side.run(params, batch, toParams)
    await waitFor(() => expect(starts()).toHaveLength(2))
    expect(starts().map((r) => [r.models, (r.params as { eps: number }).eps])).toEqual([
      [['std'], 0.5],
      [['rob'], 1.5]
    ])
    mock.emit('job:finished', { jobId: 'job-1', results: [{ modelId: 'std', result: attackResult(), run: { ...RUN, modelId: 'std' } }] })
    mock.emit('job:failed', { jobId: 'job-2', reason: 'error', message: 'engine exploded' })
    expect(await done).toBe(false)
    expect(side.entries('attack').map((e) => e.role)).toEqual(['standard'])
  })
})

describe('settings helpers', () => {
  it('persistRecord restores a saved record once, says so, and saves changes back', () => {
    const settings = new SettingsState()
    settings.value = { ...settings.value, views: { v: { n: 3 } } }
    const form = $state({ n: 1 })
    const restoredWith: unknown[] = []
    let restored = false
    const stop = $effect.root(() => {
      restored = persistRecord({ view: 'v', settings, record: () => ({ n: form.n }), restore: (saved) => (restoredWith.push(saved), (form.n = saved.n as number)) })
    })
    flushSync()
    expect(restored).toBe(true)
    expect(restoredWith).toEqual([{ n: 3 }])
    form.n = 7
    flushSync()
    expect(settings.value.views.v).toEqual({ n: 7 })
    expect(restoredWith).toHaveLength(1)
    stop()

    const fresh = new SettingsState()
    let freshRestored = true
    const stopFresh = $effect.root(() => {
      freshRestored = persistRecord({ view: 'w', settings: fresh, record: () => ({ n: 1 }), restore: () => restoredWith.push('unexpected') })
    })
    flushSync()
    expect(freshRestored).toBe(false)
    expect(restoredWith).toHaveLength(1)
    stopFresh()
  })

  it('followModel applies once per new model, keeps restored parameters for the first, and waits while disabled', () => {
    const state = $state({ model: undefined as ModelInfo | undefined, enabled: true })
    const applied: string[] = []
    const stop = $effect.root(() => {
      followModel(() => state.model, (m) => applied.push(m.id), { enabled: () => state.enabled, keepFirst: () => true })
    })
    flushSync()
    state.model = STD
    flushSync()
    expect(applied).toEqual([]) // the first model keeps the restored parameters
    state.enabled = false
    state.model = ROB
    flushSync()
    expect(applied).toEqual([]) // disabled: not applied, and not consumed
    state.enabled = true
    flushSync()
    expect(applied).toEqual(['rob'])
    state.enabled = false
    state.enabled = true
    flushSync()
    expect(applied).toEqual(['rob']) // once per model
    stop()
  })
})
