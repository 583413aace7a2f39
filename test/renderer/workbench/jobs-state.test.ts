import { beforeEach, describe, expect, it } from 'vitest'
import { JobRunner, jobEvents, combineRunners } from '../../../src/renderer/src/state/jobs.svelte'
import type { JobRequestInput, StepTelemetry } from '../../../src/shared/jobs'
import { installApiMock, type ApiMock } from './api-mock'

const request: JobRequestInput = { models: ['std', 'rob'], images: { data: new Float32Array(12), shape: [1, 2, 2, 3] }, params: { method: 'predict' } }
const telemetry = (step: number): StepTelemetry => ({ step, loss: [1], pTrue: [0.5], pTarget: [0], top5: [[]], deltaL2: [0], deltaLinf: [0], gradNorm: [1] })
const predictions = { probabilities: new Float32Array([0.2, 0.8]), classes: 2 }

/** Let the mocked invoke (an async function) answer. */
const flush = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0))

let mock: ApiMock
let nextJob = 1
beforeEach(() => {
  jobEvents.reset()
  nextJob = 1
  mock = installApiMock({ 'jobs:start': () => ({ jobId: `job-${nextJob++}` }), 'jobs:cancel': () => ({ cancelled: true }) })
})

describe('JobRunner', () => {
  it('tracks per-model progress and telemetry, then stores every result and resolves', async () => {
    const runner = new JobRunner()
    const done = runner.run(request)
    await flush()
    expect(runner.status).toBe('running')
    mock.emit('job:progress', { jobId: 'job-1', modelId: 'std', progress: { step: 1, totalSteps: 4, etaMs: 300, telemetry: telemetry(1) } })
    mock.emit('job:progress', { jobId: 'job-1', modelId: 'std', progress: { step: 2, totalSteps: 4, etaMs: 200, telemetry: telemetry(2) } })
    mock.emit('job:progress', { jobId: 'job-other', modelId: 'std', progress: { step: 4, totalSteps: 4, etaMs: 0 } })
    expect(runner.progress.std).toEqual({ step: 2, totalSteps: 4, etaMs: 200 })
    expect(runner.telemetry.std.map((t) => t.step)).toEqual([1, 2])
    expect(runner.fraction).toBeCloseTo(0.25) // std at 2/4, rob not started
    const run = { modelId: 'std', weightsSha256: 'a', backend: 'cpu', ms: 1 }
    mock.emit('job:finished', {
      jobId: 'job-1',
      results: [
        { modelId: 'std', result: { method: 'predict', predictions }, run },
        { modelId: 'rob', result: { method: 'predict', predictions }, run: { ...run, modelId: 'rob' } }
      ]
    })
    const finished = await done
    expect(finished?.results).toHaveLength(2)
    expect(runner.status).toBe('done')
    expect(runner.result('rob', 'predict')?.predictions.probabilities[1]).toBeCloseTo(0.8)
    expect(runner.result('rob', 'saliency')).toBeNull()
  })

  it('keeps events that arrive before jobs:start answers', async () => {
    mock.answers['jobs:start'] = () => {
      mock.emit('job:progress', { jobId: 'job-7', modelId: 'std', progress: { step: 1, totalSteps: 2, etaMs: null } })
      mock.emit('job:failed', { jobId: 'job-7', reason: 'error', message: 'engine exploded' })
      return { jobId: 'job-7' }
    }
    const runner = new JobRunner()
    expect(await runner.run(request)).toBeNull()
    expect(runner.status).toBe('failed')
    expect(runner.error).toBe('engine exploded')
    expect(runner.progress.std.step).toBe(1)
  })

  it('reports a failed start (validation error from main) as failed with the message', async () => {
    mock.answers['jobs:start'] = () => {
      throw new Error("Invalid payload for 'jobs:start' at images.data: pixel 0 is 2")
    }
    const runner = new JobRunner()
    expect(await runner.run(request)).toBeNull()
    expect(runner.status).toBe('failed')
    expect(runner.error).toContain('pixel 0 is 2')
  })

  it('cancel asks main to cancel and settles as cancelled on the job:failed(cancelled) event', async () => {
    const runner = new JobRunner()
    const done = runner.run(request)
    await flush()
    await runner.cancel()
    expect(mock.calls.filter((c) => c.channel === 'jobs:cancel').map((c) => c.args)).toEqual([['job-1']])
    mock.emit('job:failed', { jobId: 'job-1', reason: 'cancelled', message: 'cancelled by the user' })
    expect(await done).toBeNull()
    expect(runner.status).toBe('cancelled')
    expect(runner.error).toBeNull()
  })

  it('a new run cancels the one in flight and ignores its late events', async () => {
    const runner = new JobRunner()
    const first = runner.run(request)
    await flush()
    const second = runner.run(request)
    expect(await first).toBeNull()
    await flush()
    expect(runner.jobId).toBe('job-2')
    mock.emit('job:finished', { jobId: 'job-1', results: [] })
    expect(runner.status).toBe('running')
    mock.emit('job:failed', { jobId: 'job-2', reason: 'error', message: 'boom' })
    expect(await second).toBeNull()
    expect(runner.status).toBe('failed')
    expect(mock.calls.some((c) => c.channel === 'jobs:cancel' && c.args[0] === 'job-1')).toBe(true)
  })

  it('subscribes to the three job events once for all runners', async () => {
    const a = new JobRunner()
    const b = new JobRunner()
    void a.run(request)
    void b.run(request)
    await flush()
    expect(mock.listenerCount('job:progress')).toBe(1)
    expect(mock.listenerCount('job:finished')).toBe(1)
    expect(mock.listenerCount('job:failed')).toBe(1)
  })

  it('combineRunners reports the worst status and the slowest ETA', async () => {
    const a = new JobRunner()
    const b = new JobRunner()
    expect(combineRunners([a, b]).status).toBe('idle')
    void a.run({ ...request, models: ['std'] })
    await flush()
    mock.emit('job:progress', { jobId: 'job-1', modelId: 'std', progress: { step: 1, totalSteps: 2, etaMs: 900 } })
    const group = combineRunners([a, b])
    expect(group.status).toBe('running')
    expect(group.etaMs).toBe(900)
    expect(group.fraction).toBeCloseTo(0.5)
  })
})
