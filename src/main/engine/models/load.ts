/**
 * A loaded model: spec + weight hash + its classifier on the engine's backend (the model seam, classifier.ts). Loading
 * reads and validates the folder (format.ts) and lets the backend build the network; the backend's warm-up prepares
 * it for the largest batch the methods send (gradientBatchFor), so the first user-visible gradient is not slower.
 */
import type { ModelSpec } from '../../../shared/model-format'
import { gradientBatchFor } from '../batching'
import type { ClassifierFactory, DifferentiableClassifier } from '../classifier'
import { readModelFiles } from './format'

export class LoadedModel {
  private constructor(
    readonly spec: ModelSpec,
    readonly classifier: DifferentiableClassifier,
    readonly weightsSha256: string,
    readonly sizeBytes: number
  ) {}

  static async load(dir: string, backend: ClassifierFactory, options: { warmUp?: boolean } = {}): Promise<LoadedModel> {
    const files = await readModelFiles(dir)
    const { spec } = files
    const classifier = await backend.create(files, { maxBatch: gradientBatchFor(spec.input.height, spec.input.width), warmUp: options.warmUp !== false })
    return new LoadedModel(spec, classifier, files.weightsSha256, files.sizeBytes)
  }

  get id(): string {
    return this.spec.id
  }

  get classCount(): number {
    return this.spec.classes.length
  }

  get representationSize(): number {
    return this.classifier.shape.representationSize
  }

  /** Throws unless the batch has the model's input size. */
  checkInputShape(shape: readonly number[]): void {
    const { height, width } = this.spec.input
    if (shape.length !== 4 || shape[1] !== height || shape[2] !== width || shape[3] !== 3) {
      throw new Error(`model ${this.id} takes ${height}×${width}×3 images; got a batch of shape [${shape.join(', ')}] (resize first)`)
    }
  }

  dispose(): void {
    this.classifier.dispose()
  }
}
