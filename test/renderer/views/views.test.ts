import { beforeEach, describe, expect, it, vi } from 'vitest'
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte'
import type { AttackResult, EvaluateResult, JobRequestInput, StepTelemetry } from '../../../src/shared/jobs'
import { fakeModelInfo, gradientImage, installApiMock, pngHeader, type ApiMock } from '../workbench/api-mock'

/** Chart.js cannot draw in happy-dom: record every chart's latest data instead. */
const charts: { canvas: HTMLCanvasElement; data: { labels?: unknown[]; datasets: { label?: string; data: unknown[] }[] } }[] = []
vi.mock('chart.js', () => {
  class Chart {
    static register(): void {}
    data: (typeof charts)[number]['data']
    options: unknown
    constructor(canvas: HTMLCanvasElement, cfg: { data: (typeof charts)[number]['data']; options: unknown }) {
      this.data = cfg.data
      this.options = cfg.options
      charts.push({ canvas, data: cfg.data })
      this.entry = charts[charts.length - 1]
    }
    entry: (typeof charts)[number]
    update(): void {
      this.entry.data = this.data
    }
    destroy(): void {}
  }
  return { Chart, registerables: [] }
})

const { ImagesState } = await import('../../../src/renderer/src/state/images.svelte')
const { ModelsState } = await import('../../../src/renderer/src/state/models.svelte')
const { jobEvents } = await import('../../../src/renderer/src/state/jobs.svelte')
const { SettingsState } = await import('../../../src/renderer/src/state/settings.svelte')
const { ExportHub } = await import('../../../src/renderer/src/state/export.svelte')
const { ExercisesState } = await import('../../../src/renderer/src/state/exercises.svelte')
const { default: Attack } = await import('../../../src/renderer/src/views/Attack.svelte')
const { default: Exercises } = await import('../../../src/renderer/src/views/Exercises.svelte')
const { default: RobustnessCurve } = await import('../../../src/renderer/src/views/RobustnessCurve.svelte')
const { default: FeatureViz } = await import('../../../src/renderer/src/views/FeatureViz.svelte')
const { default: LargeEps } = await import('../../../src/renderer/src/views/LargeEps.svelte')

const decoder = async (): Promise<ReturnType<typeof gradientImage>> => gradientImage(4, 4)
const RUN = { weightsSha256: 'a', backend: 'cpu', ms: 1 }

let mock: ApiMock
beforeEach(() => {
  jobEvents.reset()
  charts.length = 0
  mock = installApiMock({ 'models:list': [fakeModelInfo('std', 'standard'), fakeModelInfo('rob', 'robust')] })
  let n = 0
  let p = 0
  // the views first ask what each model predicts on the image (to keep a target off it): answered at once, with
  // its own id space so the tests' job-1, job-2 … stay the view's own jobs; the models predict "dog" (class 1)
  mock.answers['jobs:start'] = (req) => {
    const request = req as JobRequestInput
    if (request.params.method !== 'predict') return { jobId: `job-${++n}` }
    const jobId = `predict-${++p}`
    const count = request.images.shape[0]
    setTimeout(() =>
      mock.emit('job:finished', {
        jobId,
        results: request.models.map((modelId) => ({
          modelId,
          result: { method: 'predict' as const, predictions: { probabilities: new Float32Array(count * 3).map((_, i) => (i % 3 === 1 ? 0.8 : 0.1)), classes: 3 } },
          run: { ...RUN, modelId }
        }))
      })
    )
    return { jobId }
  }
})

async function setup(names = ['cat.png']) {
  const images = new ImagesState(decoder)
  await images.add(names.map((n) => new File([pngHeader(4, 4)], n)))
  const models = new ModelsState()
  await models.load()
  return { images, models }
}

/** The view's own jobs (not the predictions it asks for first). */
const starts = (): JobRequestInput[] =>
  mock.calls.filter((c) => c.channel === 'jobs:start' && (c.args[0] as JobRequestInput).params.method !== 'predict').map((c) => c.args[0] as JobRequestInput)

function telemetry(step: number): StepTelemetry {
  return { step, loss: [1 + step], pTrue: [1 - step / 10], pTarget: [step / 10], top5: [[{ index: 2, p: step / 10 }]], deltaL2: [0.05 * step], deltaLinf: [0.01], gradNorm: [1] }
}

function attackResult(flippedAt: number | null): AttackResult {
  const probs = new Float32Array([0.1, 0.7, 0.2])
  return {
    method: 'attack',
    adversarial: new Float32Array(12).fill(0.5),
    perturbation: new Float32Array(12).map((_, i) => (i - 6) / 100),
    shape: [1, 2, 2, 3],
    trueClass: [1],
    targetClass: 2,
    before: { probabilities: probs, classes: 3 },
    after: { probabilities: new Float32Array([0.1, 0.1, 0.8]), classes: 3 },
    flippedAt: [flippedAt],
    telemetry: [telemetry(1), telemetry(2), telemetry(3)],
    iterates: [
      { step: 2, images: new Float32Array(12).fill(0.4) },
      { step: 3, images: new Float32Array(12).fill(0.5) }
    ]
  }
}

describe('Attack view', () => {
  it('runs one twin PGD job with the linked parameters and charts the live telemetry per model', async () => {
    const { images, models } = await setup()
    render(Attack, { images, models })
    await fireEvent.click(screen.getByTestId('param-targeted'))
    await fireEvent.click(screen.getByTestId('run'))
    await waitFor(() => expect(starts()).toHaveLength(1))
    const req = starts()[0]
    expect(req.models).toEqual(['std', 'rob'])
    expect(req.params).toMatchObject({ method: 'attack', threat: 'l2', eps: 0.5, targeted: true, targetClass: 0, steps: 20 })

    mock.emit('job:progress', { jobId: 'job-1', modelId: 'rob', progress: { step: 1, totalSteps: 20, etaMs: 500, telemetry: telemetry(1) } })
    mock.emit('job:progress', { jobId: 'job-1', modelId: 'rob', progress: { step: 2, totalSteps: 20, etaMs: 400, telemetry: telemetry(2) } })
    const robustChart = (): (typeof charts)[number] | undefined => charts.findLast((c) => c.canvas.dataset.testid === 'chart-robust')
    await waitFor(() => expect(robustChart()?.data.labels).toEqual([1, 2]))
    const byLabel = Object.fromEntries(robustChart()!.data.datasets.map((d) => [d.label, d.data]))
    expect(byLabel['loss (CE)']).toEqual([2, 3])
    expect(byLabel['p(target)']).toEqual([0.1, 0.2])
    expect((byLabel['‖δ‖₂ / ε'] as number[])[1]).toBeCloseTo(0.2)
    expect(screen.getByTestId('status').textContent).toContain('Running')
    // one Chart per canvas, updated in place (not re-created per telemetry event)
    expect(charts.filter((c) => c.canvas.dataset.testid === 'chart-robust')).toHaveLength(1)

    mock.emit('job:finished', {
      jobId: 'job-1',
      results: [
        { modelId: 'std', result: attackResult(2), run: { ...RUN, modelId: 'std' } },
        { modelId: 'rob', result: attackResult(null), run: { ...RUN, modelId: 'rob' } }
      ]
    })
    await waitFor(() => expect(screen.getByTestId('flip-standard').textContent).toContain('reached “frog” at step 2'))
    expect(screen.getByTestId('flip-robust').textContent).toContain('never reached “frog”')
    expect(screen.getByTestId('result-standard').textContent).toMatch(/δ × \d+(\.\d+)? \+ 0\.5/)
    expect(screen.getByTestId('scrubber-standard')).toBeTruthy()
  })

  it('unlinked: one job per model, each with its own ε', async () => {
    const { images, models } = await setup()
    render(Attack, { images, models })
    await fireEvent.click(screen.getByTestId('link-params'))
    const eps = screen.getAllByLabelText('ε (L2) value')
    expect(eps).toHaveLength(2)
    await fireEvent.change(eps[1], { target: { value: '1.5' } })
    await fireEvent.click(screen.getByTestId('run'))
    await waitFor(() => expect(starts()).toHaveLength(2))
    expect(starts().map((r) => [r.models, (r.params as { eps: number }).eps])).toEqual([
      [['std'], 0.5],
      [['rob'], 1.5]
    ])
  })

  it('the lab-exact preset states its scaling (2×2 toy inputs) and sets the lab\'s 20 steps without random start', async () => {
    const { images, models } = await setup()
    render(Attack, { images, models })
    await fireEvent.click(screen.getByTestId('preset-lab-exact'))
    expect(screen.getByTestId('preset-note').textContent).toContain('√(d/d₂₂₄)')
    await fireEvent.click(screen.getByTestId('run'))
    await waitFor(() => expect(starts()).toHaveLength(1))
    expect(starts()[0].params).toMatchObject({ steps: 20, randomStart: false, useBest: false, restarts: 0 })
  })
})

describe('Attack view settings and export', () => {
  it('restores its last parameters from settings, saves edits back, and registers an export snapshot with the telemetry', async () => {
    const { images, models } = await setup()
    const settings = new SettingsState()
    settings.value = { ...settings.value, views: { attack: { linked: true, 'standard.eps': 1.5, 'robust.eps': 1.5, 'standard.steps': 7, 'robust.steps': 7 } } }
    const exporter = new ExportHub()
    render(Attack, { images, models, settings, exporter })
    expect((screen.getByLabelText('ε (L2) value') as HTMLInputElement).value).toBe('1.5')
    await fireEvent.change(screen.getByLabelText('Steps value'), { target: { value: '9' } })
    await waitFor(() => expect(settings.value.views.attack).toMatchObject({ 'standard.steps': 9, 'robust.steps': 9, 'standard.eps': 1.5 }))

    expect(exporter.snapshot()).toBeNull()
    await fireEvent.click(screen.getByTestId('run'))
    await waitFor(() => expect(starts()).toHaveLength(1))
    expect(starts()[0].params).toMatchObject({ eps: 1.5, steps: 9 })
    mock.emit('job:finished', {
      jobId: 'job-1',
      results: [
        { modelId: 'std', result: attackResult(2), run: { ...RUN, modelId: 'std' } },
        { modelId: 'rob', result: attackResult(null), run: { ...RUN, modelId: 'rob' } }
      ]
    })
    await waitFor(() => expect(exporter.snapshot()?.panels).toHaveLength(2))
    const snap = exporter.snapshot()!
    expect(snap.view).toBe('attack')
    expect(snap.stamp).toContain('PGD L2 ε 1.5')
    expect(snap.params['robust.steps']).toBe(9)
    expect(snap.telemetry.std).toHaveLength(3)
    expect(snap.panels[0].images.map((i) => i.caption)).toEqual(['original', 'adversarial', expect.stringMatching(/^δ × /)])
  })
})

describe('Exercises mode', () => {
  it('keeps Run disabled until a prediction is chosen, then shows what to look for after the run', async () => {
    const { images, models } = await setup()
    const exercises = new ExercisesState()
    exercises.go(2) // III: targeted attack on the standard model
    render(Exercises, { images, models, exercises })
    expect(screen.getByTestId('exercise-card').dataset.exercise).toBe('III')
    expect((screen.getByTestId('run') as HTMLButtonElement).disabled).toBe(true)
    expect(screen.getAllByTestId('exercise-scaling').map((n) => n.textContent).join(' ')).toContain('cabbage butterfly')

    await fireEvent.click(screen.getByTestId('exercise-choice-yes'))
    await waitFor(() => expect((screen.getByTestId('run') as HTMLButtonElement).disabled).toBe(false))
    await fireEvent.click(screen.getByTestId('run'))
    await waitFor(() => expect(starts()).toHaveLength(1))
    // the lab's III: targeted, 20 steps, step/ε ratio 0.5/1.25 kept by the scaling
    const p = starts()[0].params as { targeted: boolean; steps: number; eps: number; stepSize: number; randomStart: boolean }
    expect(p).toMatchObject({ targeted: true, steps: 20, randomStart: false })
    expect(p.stepSize / p.eps).toBeCloseTo(0.4, 3)
    expect(screen.queryByTestId('exercise-lookfor')).toBeNull()

    mock.emit('job:finished', {
      jobId: 'job-1',
      results: [
        { modelId: 'std', result: attackResult(2), run: { ...RUN, modelId: 'std' } },
        { modelId: 'rob', result: attackResult(null), run: { ...RUN, modelId: 'rob' } }
      ]
    })
    await waitFor(() => expect(screen.getByTestId('exercise-lookfor').textContent).toContain('What to look for'))
    expect(screen.getByTestId('exercise-verdict').textContent).toContain('matches')
  })

  it('exercise II runs SmoothGrad N = 100 with the lab\'s absolute σ = 0.3 converted to a fraction of the image range', async () => {
    const { images, models } = await setup()
    const exercises = new ExercisesState()
    exercises.go(1)
    render(Exercises, { images, models, exercises })
    await fireEvent.click(screen.getByTestId('exercise-choice-yes'))
    await waitFor(() => expect((screen.getByTestId('run') as HTMLButtonElement).disabled).toBe(false))
    await fireEvent.click(screen.getByTestId('run'))
    await waitFor(() => expect(starts()).toHaveLength(1))
    const req = starts()[0]
    const data = req.images.data as Float32Array
    const range = Math.max(...data) - Math.min(...data)
    const smoothing = (req.params as { smoothing: { kind: string; samples: number; sigma: number } }).smoothing
    expect(smoothing).toMatchObject({ kind: 'smoothgrad', samples: 100 })
    expect(smoothing.sigma * range).toBeCloseTo(0.3, 2)
    expect(screen.getAllByTestId('exercise-scaling').map((n) => n.textContent).join(' ')).toContain('0.3 absolute')
  })

  it('moves through the sequence: Next opens exercise IV with the prediction asked again', async () => {
    const { images, models } = await setup()
    const exercises = new ExercisesState()
    exercises.go(2)
    render(Exercises, { images, models, exercises })
    await fireEvent.click(screen.getByTestId('exercise-choice-yes'))
    await fireEvent.click(screen.getByTestId('exercise-next'))
    await waitFor(() => expect(screen.getByTestId('exercise-card').dataset.exercise).toBe('IV'))
    expect((screen.getByTestId('run') as HTMLButtonElement).disabled).toBe(true)
    expect(screen.getByTestId('exercise-locked')).toBeTruthy()
  })
})

describe('Robustness curve', () => {
  it('evaluates the labelled images only, with n and 95 % Wilson intervals; below 5 labelled it explains instead of running', async () => {
    const names = ['a.png', 'b.png', 'c.png', 'd.png', 'e.png', 'mine.png']
    const { images, models } = await setup(names)
    render(RobustnessCurve, { images, models })
    // nothing labelled: no curve, and the view says how to get labels
    expect(screen.getByTestId('run').hasAttribute('disabled')).toBe(true)
    expect(screen.getByTestId('curve-labelled').textContent).toContain('at least 5 labelled images')
    expect(screen.getByTestId('curve-add-samples')).toBeTruthy()
    const model = models.pairModels[0]
    images.images.slice(0, 4).forEach((img, i) => images.setLabel(img.id, model, i % 3))
    await waitFor(() => expect(screen.getByTestId('curve-labelled').dataset.count).toBe('4'))
    expect(screen.getByTestId('run').hasAttribute('disabled')).toBe(true)
    // the fifth label, picked in the table: now the curve runs over those five and leaves the unlabelled photo out
    await fireEvent.change(screen.getByLabelText('true label of e.png'), { target: { value: '2' } })
    await waitFor(() => expect(screen.getByTestId('run').hasAttribute('disabled')).toBe(false))
    await fireEvent.click(screen.getByTestId('run'))
    await waitFor(() => expect(starts()).toHaveLength(1))
    const evaluate = starts()[0]
    expect(evaluate.models).toEqual(['std', 'rob'])
    expect(evaluate.images.shape[0]).toBe(5)
    expect(evaluate.params).toMatchObject({ method: 'evaluate', labels: [0, 1, 2, 0, 2], stepFactor: 2.5, minimalEps: true })
    const epsList = (evaluate.params as { epsList: number[] }).epsList
    expect(epsList[0]).toBe(0)

    const result = (acc: number[], minimal: (number | null)[]): EvaluateResult => ({
      method: 'evaluate',
      epsList,
      accuracy: acc,
      meanTrueProb: acc.map((a) => a * 0.9),
      correct: new Uint8Array(epsList.length * 5),
      minimalEps: minimal
    })
    const n = epsList.length
    mock.emit('job:finished', {
      jobId: 'job-1',
      results: [
        { modelId: 'std', result: result(Array.from({ length: n }, (_, i) => (i === 0 ? 1 : 0)), [0.05, 0.05, 0.05, 0.05, 0.05]), run: { ...RUN, modelId: 'std' } },
        { modelId: 'rob', result: result(Array.from({ length: n }, () => 1), [null, null, null, null, null]), run: { ...RUN, modelId: 'rob' } }
      ]
    })
    // 5 of 5 correct is not "certainly 100 %": the Wilson interval reaches down to 57 %
    await waitFor(() => expect(screen.getByTestId('result-robust').textContent).toContain('clean accuracy 100% (95 % 56.6–100%)'))
    expect(screen.getByTestId('result-robust').textContent).toContain('n = 5 labelled images')
    const table = screen.getByRole('table')
    expect(table.textContent).toContain('0.05')
    expect(table.textContent).toContain('no label')
    const curve = (): (typeof charts)[number] | undefined => charts.findLast((c) => c.canvas.dataset.testid === 'chart-curve')
    await waitFor(() => expect(curve()?.data.datasets.map((d) => d.label)).toContain('robust 95 % interval (n = 5)'))
  })
})

describe('Large-ε view', () => {
  it('starts from the lab\'s exercise V (targeted, ε scaled, stated) and shows a filmstrip with per-frame probabilities', async () => {
    const { images, models } = await setup()
    render(LargeEps, { images, models })
    await waitFor(() => expect(screen.getByTestId('preset-note').textContent).toContain('Lab exercise V'))
    await fireEvent.click(screen.getByTestId('run'))
    await waitFor(() => expect(starts()).toHaveLength(1))
    const p = starts()[0].params as { targeted: boolean; eps: number; stepSize: number; keepIterates: number }
    expect(p.targeted).toBe(true)
    expect(p.stepSize / p.eps).toBeCloseTo(0.05, 4)
    expect(p.keepIterates).toBe(10)
    mock.emit('job:finished', {
      jobId: 'job-1',
      results: [
        { modelId: 'std', result: attackResult(null), run: { ...RUN, modelId: 'std' } },
        { modelId: 'rob', result: attackResult(3), run: { ...RUN, modelId: 'rob' } }
      ]
    })
    const strip = await screen.findByTestId('filmstrip-robust')
    // frame 0 (start) + the 2 kept iterates, each with its step and p(target) from the telemetry at that step
    expect(strip.querySelectorAll(':scope > li')).toHaveLength(3)
    expect(strip.textContent).toContain('step 3')
    expect(strip.textContent).toContain('p(frog) 30.0%')
    // robust first: the point of the view; standard below for contrast
    const panels = screen.getAllByTestId(/^result-/).map((n) => n.dataset.testid)
    expect(panels).toEqual(['result-robust', 'result-standard'])
  })
})

describe('Feature visualization view', () => {
  it('defaults each model to its most active coordinate, notes a dead one, runs the chosen k on both models, and ranks images with their augmented views', async () => {
    const { images, models } = await setup(['a.png', 'b.png'])
    render(FeatureViz, { images, models })
    // the grid asks for all coordinates of the current image once
    await waitFor(() => expect(starts().some((r) => r.params.method === 'activations')).toBe(true), { timeout: 2000 })
    const gridJob = starts().find((r) => r.params.method === 'activations')!
    expect(gridJob.params).toEqual({ method: 'activations', features: [] })
    expect(gridJob.images.shape[0]).toBe(1)
    // the standard model's coordinates 0–1 are dead (0); its most active is 7, the robust model's is 2
    const std = new Float32Array([0, 0, 2, 3, 4, 5, 6, 7])
    const rob = new Float32Array([1, 1, 9, 0, 0, 0, 0, 0])
    mock.emit('job:finished', {
      jobId: 'job-1',
      results: [
        { modelId: 'std', result: { method: 'activations' as const, values: std, features: [0, 1, 2, 3, 4, 5, 6, 7] }, run: { ...RUN, modelId: 'std' } },
        { modelId: 'rob', result: { method: 'activations' as const, values: rob, features: [0, 1, 2, 3, 4, 5, 6, 7] }, run: { ...RUN, modelId: 'rob' } }
      ]
    })
    await waitFor(() => expect(screen.getByTestId('coordinate-note').textContent).toContain('standard r_7 = 7, robust r_2 = 9'))
    expect(screen.getByTestId('coordinate-note').textContent).toContain('independent')
    expect(screen.getByTestId('run').textContent).toContain('standard r_7, robust r_2')

    // a coordinate dead on the standard model: a note and a one-click fake ReLU for that side
    const cell = await screen.findByRole('option', { name: /^coordinate 1: standard 0, robust 1/ })
    await fireEvent.click(cell)
    expect((screen.getByTestId('feature-index') as HTMLInputElement).value).toBe('1')
    await waitFor(() => expect(screen.getByTestId('dead-standard').textContent).toContain('r_1 is 0'))
    expect(screen.queryByTestId('dead-robust')).toBeNull()
    await fireEvent.click(screen.getByTestId('use-fake-relu-standard'))
    await waitFor(() => expect(screen.queryByTestId('dead-standard')).toBeNull())

    // sides that differ (fake ReLU on one only) run one job each, both on coordinate 1
    await fireEvent.click(screen.getByTestId('start-gray'))
    await fireEvent.click(screen.getByTestId('run'))
    await waitFor(() => expect(starts().filter((r) => r.params.method === 'featureViz')).toHaveLength(2))
    const fvJobs = starts().filter((r) => r.params.method === 'featureViz')
    expect(fvJobs.map((j) => j.models)).toEqual([['std'], ['rob']])
    expect(fvJobs[0].params).toMatchObject({ method: 'featureViz', feature: 1, start: 'gray', fakeRelu: true })
    expect(fvJobs[1].params).toMatchObject({ method: 'featureViz', feature: 1, start: 'gray', fakeRelu: false })

    // rank the two loaded images (no samples listed), each with its flip and five crops: 14 candidates
    await fireEvent.click(screen.getByTestId('rank-images'))
    await waitFor(() => expect(starts().filter((r) => r.params.method === 'activations')).toHaveLength(2))
    const rankJob = starts().filter((r) => r.params.method === 'activations')[1]
    expect(rankJob.images.shape[0]).toBe(14)
    const jobId = `job-${starts().length}`
    // candidate c has r_1 = c (a.png's 7 views are 0–6, b.png's 7–13)
    const ranked = new Float32Array(14 * 8).map((_, i) => (i % 8 === 1 ? Math.floor(i / 8) : 0))
    mock.emit('job:finished', {
      jobId,
      results: ['std', 'rob'].map((id) => ({ modelId: id, result: { method: 'activations' as const, values: ranked, features: [0, 1, 2, 3, 4, 5, 6, 7] }, run: { ...RUN, modelId: id } }))
    })
    const robust = await screen.findByTestId('ranked-robust')
    const top = robust.querySelector('[aria-label="robust top-5"]')!
    expect([...top.querySelectorAll('[role="img"]')].map((c) => c.getAttribute('aria-label'))).toEqual([
      'b.png (bottom-right crop): r_1 = 13',
      'b.png (bottom-left crop): r_1 = 12',
      'b.png (top-right crop): r_1 = 11',
      'b.png (top-left crop): r_1 = 10',
      'b.png (centre crop): r_1 = 9'
    ])
    expect(top.textContent).toContain('13')
  })
})
