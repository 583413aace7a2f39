/**
 * A runner that answers every method with deterministic, correctly shaped results and records the jobs it got,
 * so the CLI's argument handling and file writing are tested without the cost of real gradients.
 */
import type { EngineJob } from '../../../src/main/engine/api'
import type { MethodResult, Predictions, StepTelemetry } from '../../../src/shared/jobs'
import type { Runner, RunnerFactory, RunnerOptions } from '../../../src/main/cli/runner'

const CLASSES = 10

function predictions(n: number, top: number): Predictions {
  const probabilities = new Float32Array(n * CLASSES).fill(0.05)
  for (let i = 0; i < n; i++) probabilities[i * CLASSES + top] = 0.55
  return { probabilities, classes: CLASSES }
}

function telemetry(steps: number, n: number, activation = false): StepTelemetry[] {
  return Array.from({ length: steps }, (_, s) => ({
    step: s + 1,
    loss: Array(n).fill(1 / (s + 1)),
    pTrue: Array(n).fill(0.5),
    pTarget: Array(n).fill(0.1),
    top5: Array.from({ length: n }, () => [{ index: 3, p: 0.55 }]),
    deltaL2: Array(n).fill(0.1 * (s + 1)),
    deltaLinf: Array(n).fill(0.01),
    gradNorm: Array(n).fill(2),
    ...(activation ? { activation: Array(n).fill(s) } : {})
  }))
}

export function fakeResult(job: EngineJob): MethodResult {
  const { data, shape } = job.images
  const n = shape[0]
  const p = job.params
  switch (p.method) {
    case 'predict':
      return { method: 'predict', predictions: predictions(n, 3) }
    case 'saliency':
      return {
        method: 'saliency',
        maps: Float32Array.from(data, (v, i) => (i % 7) - 3 + v),
        shape,
        classIndex: Array(n).fill(p.classIndex ?? 3),
        sigmaAbsolute: Array(n).fill(p.smoothing.kind === 'none' ? 0 : p.smoothing.sigma),
        outOfRangeFraction: 0,
        predictions: predictions(n, 3)
      }
    case 'attack': {
      const perturbation = Float32Array.from(data, (_, i) => ((i % 3) - 1) * 0.01)
      return {
        method: 'attack',
        adversarial: Float32Array.from(data, (v, i) => Math.min(1, Math.max(0, v + perturbation[i]))),
        perturbation,
        shape,
        trueClass: Array(n).fill(p.trueClass ?? 3),
        targetClass: p.targetClass,
        before: predictions(n, 3),
        after: predictions(n, p.targetClass ?? 5),
        flippedAt: Array(n).fill(2),
        telemetry: telemetry(p.steps, n),
        iterates: p.keepIterates > 0 ? [{ step: p.steps, images: new Float32Array(data) }] : []
      }
    }
    case 'featureViz':
      return {
        method: 'featureViz',
        images: new Float32Array(data),
        shape,
        feature: p.feature,
        activationStart: Array(n).fill(0.5),
        activationEnd: Array(n).fill(2.5),
        after: predictions(n, 1),
        telemetry: telemetry(p.steps, n, true),
        iterates: []
      }
    case 'activations': {
      const features = p.features.length ? p.features : Array.from({ length: 16 }, (_, i) => i)
      // image i, feature f → i·10 + f: the last image activates every feature most
      return { method: 'activations', features, values: Float32Array.from({ length: n * features.length }, (_, k) => Math.floor(k / features.length) * 10 + features[k % features.length]) }
    }
    case 'evaluate': {
      const e = p.epsList.length
      // correct when the label is even, at every ε
      const correct = new Uint8Array(e * n)
      for (let k = 0; k < e; k++) for (let i = 0; i < n; i++) correct[k * n + i] = p.labels[i] % 2 === 0 ? 1 : 0
      const acc = p.labels.filter((l) => l % 2 === 0).length / n
      return { method: 'evaluate', epsList: p.epsList, accuracy: Array(e).fill(acc), meanTrueProb: Array(e).fill(acc / 2), correct, minimalEps: p.minimalEps ? p.labels.map((l) => l / 10) : null }
    }
  }
}

export function fakeRunnerFactory(): { factory: RunnerFactory; jobs: EngineJob[]; options: RunnerOptions[] } {
  const jobs: EngineJob[] = []
  const options: RunnerOptions[] = []
  const factory: RunnerFactory = async (o) => {
    options.push(o)
    const runner: Runner = {
      backend: 'fake',
      workers: o.workers,
      run: async (job) => {
        jobs.push(job)
        // with several workers, make the first job finish last, as a slow batch would
        if (o.workers > 1 && jobs.length === 1) await new Promise((r) => setTimeout(r, 30))
        return { result: fakeResult(job), run: { modelId: job.modelId, weightsSha256: 'f'.repeat(64), backend: 'fake', ms: 1 } }
      },
      dispose: async () => {}
    }
    return runner
  }
  return { factory, jobs, options }
}
