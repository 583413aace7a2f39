/**
 * The engine: picks a backend (the first of the order that starts and passes its self-check, backends/registry.ts),
 * loads and caches models by id on it, runs one method per job. Created once per compute worker
 * (src/main/compute/worker.ts), by the CLI, and by tests. The methods only see the model seam (classifier.ts).
 */
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { ModelInfo } from '../../shared/model-format'
import type { BackendAttempt, BackendName, Engine, EngineJob, EngineOptions, RunContext } from './api'
import { BUILT_IN_BACKENDS, selectClassifierBackend } from './backends/index'
import type { ClassifierFactory } from './classifier'
import { readModelSpec, scanModelFolders, weightFilesSize } from './models/format'
import { LoadedModel } from './models/load'
import { runMethod } from './run'
import { saliencyPartial } from './saliency/run'

export type { Engine, EngineOptions } from './api'
export { CancelledError } from './api'
export { ModelFormatError } from './models/format'
export { writeRandomModel } from './models/random'
export { combinePartials, finishSmoothGrad } from './saliency/smoothgrad'

class ModelEngine implements Engine {
  private readonly models = new Map<string, Promise<LoadedModel>>()
  private disposed = false

  constructor(
    readonly backend: BackendName,
    private readonly factory: ClassifierFactory,
    private readonly modelsDir: string,
    readonly backendAttempts: BackendAttempt[],
    readonly backendNotices: string[]
  ) {}

  async listModels(): Promise<ModelInfo[]> {
    let entries: string[]
    try {
      entries = (await readdir(this.modelsDir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name)
    } catch {
      return []
    }
    const out: ModelInfo[] = []
    for (const name of entries.sort()) {
      const dir = join(this.modelsDir, name)
      try {
        const spec = await readModelSpec(dir)
        const { weightsManifest: _manifest, ...info } = spec
        out.push({ ...info, sizeBytes: await weightFilesSize(dir, spec) })
      } catch {
        // not a model folder, or an invalid one: loading it by id reports the specific error
      }
    }
    return out
  }

  /**
   * The folder of model `id`: the one folder whose model.json says so (scanModelFolders); an id two folders declare
   * is refused, naming both. Not found: `${modelsDir}/${id}`, so loading it reports why it is not a valid model.
   */
  private async modelDir(id: string): Promise<string> {
    const scan = await scanModelFolders(this.modelsDir)
    const twins = scan.duplicates.get(id)
    if (twins) throw new Error(`model id '${id}' is declared by ${twins.length} folders (${twins.join(' and ')}); model ids must be unique, rename or remove one`)
    return scan.models.find((m) => m.id === id)?.dir ?? join(this.modelsDir, id)
  }

  /** The cached model for `id`, loading (and warming up) on first use. */
  model(id: string): Promise<LoadedModel> {
    if (this.disposed) return Promise.reject(new Error('engine disposed'))
    let pending = this.models.get(id)
    if (!pending) {
      pending = this.modelDir(id).then((dir) => LoadedModel.load(dir, this.factory))
      this.models.set(id, pending)
      pending.catch(() => this.models.delete(id)) // a failed load is retried next time
    }
    return pending
  }

  async run(job: EngineJob, ctx: RunContext): ReturnType<Engine['run']> {
    const started = performance.now()
    const model = await this.model(job.modelId)
    const result = await runMethod(model, job, ctx)
    return {
      result,
      run: { modelId: model.id, weightsSha256: model.weightsSha256, backend: this.backend, ms: performance.now() - started }
    }
  }

  async saliencyPartial(job: EngineJob, range: { start: number; end: number }, ctx: RunContext): ReturnType<NonNullable<Engine['saliencyPartial']>> {
    const started = performance.now()
    if (job.params.method !== 'saliency') throw new Error(`saliencyPartial needs a saliency job, got ${job.params.method}`)
    const model = await this.model(job.modelId)
    model.checkInputShape(job.images.shape)
    const partial = await saliencyPartial(model, job.images, job.params, range, ctx)
    return { partial, run: { modelId: model.id, weightsSha256: model.weightsSha256, backend: this.backend, ms: performance.now() - started } }
  }

  dispose(): void {
    this.disposed = true
    for (const pending of this.models.values()) pending.then((m) => m.dispose()).catch(() => {})
    this.models.clear()
  }
}

export async function createEngine(options: EngineOptions): Promise<Engine> {
  const factories = { ...BUILT_IN_BACKENDS, ...options.factories }
  const selected = await selectClassifierBackend(factories, options.backends, { threads: options.wasmThreads ?? 1, selfCheck: options.selfCheck })
  return new ModelEngine(selected.name, selected.factory, options.modelsDir, selected.attempts, selected.notices)
}
