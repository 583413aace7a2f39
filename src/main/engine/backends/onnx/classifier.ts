/**
 * The ONNX Runtime backend (onnxruntime-node, CPU execution provider): a DifferentiableClassifier over two sessions
 * built from the model's own layout and weights (resnet-graph.ts) — the forward graph and the forward + input-gradient
 * graph. The objective is fed as weight matrices, so the one gradient session serves every method and batch size.
 * The runtime module is passed in (index.ts loads it with a dynamic import), so a missing or broken native binary
 * fails the backend's start, not the import of the engine.
 */
import type * as Ort from 'onnxruntime-node'
import type { BatchObjective, ClassifierShape, DifferentiableClassifier, ForwardOutputs, GradientOutputs } from '../../classifier'
import type { NetworkLayout } from '../../models/layout'
import { buildResNetGraph, GRAPH_NAMES, type ResNetGraphOptions, type ResNetGraphSpec } from './resnet-graph'

export type OnnxRuntime = typeof Ort

export interface OnnxSessionOptions {
  /** Intra-op threads of each session (the worker's share of the cores, compute/layout.ts). */
  threads: number
  /** How the gradient graph differentiates stride-1 convs (resnet-graph.ts; default: a forward Conv). */
  stride1Backward?: ResNetGraphOptions['stride1Backward']
}

function sessionOptions(threads: number): Ort.InferenceSession.SessionOptions {
  return {
    executionProviders: ['cpu'],
    intraOpNumThreads: Math.max(1, threads),
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3 // errors only: keep ORT's warnings off the CLI's stdout
  }
}

export class OnnxClassifier implements DifferentiableClassifier {
  readonly backend = 'onnxruntime'
  private forwardSession: Promise<Ort.InferenceSession> | null = null
  private disposed = false

  private constructor(
    private readonly ort: OnnxRuntime,
    readonly shape: ClassifierShape,
    private readonly graph: ResNetGraphSpec,
    private readonly gradientSession: Ort.InferenceSession,
    private readonly threads: number,
    readonly maxBatch?: number
  ) {}

  static async create(ort: OnnxRuntime, graph: ResNetGraphSpec, options: OnnxSessionOptions & { maxBatch?: number }): Promise<OnnxClassifier> {
    const session = await ort.InferenceSession.create(buildResNetGraph(graph, { gradient: true, stride1Backward: options.stride1Backward }), sessionOptions(options.threads))
    const shape: ClassifierShape = {
      height: graph.height,
      width: graph.width,
      channels: 3,
      numClasses: graph.layout.classes,
      representationSize: graph.layout.representationSize
    }
    return new OnnxClassifier(ort, shape, graph, session, options.threads, options.maxBatch)
  }

  get layout(): NetworkLayout {
    return this.graph.layout
  }

  private pixelsTensor(pixels: Float32Array, batch: number): Ort.Tensor {
    const { height, width } = this.shape
    if (pixels.length !== batch * height * width * 3) {
      throw new Error(`expected ${batch}×${height}×${width}×3 pixels, got ${pixels.length} values`)
    }
    return new this.ort.Tensor('float32', pixels, [batch, height, width, 3])
  }

  /** The forward-only session, built on first use (predictions, activations, evaluation's clean pass). */
  private forwardOnly(): Promise<Ort.InferenceSession> {
    this.forwardSession ??= this.ort.InferenceSession.create(buildResNetGraph(this.graph, { gradient: false }), sessionOptions(this.threads))
    return this.forwardSession
  }

  async forward(pixels: Float32Array, batch: number): Promise<ForwardOutputs> {
    this.checkAlive()
    const session = await this.forwardOnly()
    const out = await session.run({ [GRAPH_NAMES.pixels]: this.pixelsTensor(pixels, batch) })
    return { logits: floatData(out[GRAPH_NAMES.logits]), features: floatData(out[GRAPH_NAMES.features]) }
  }

  async gradient(pixels: Float32Array, batch: number, objective: BatchObjective): Promise<GradientOutputs> {
    this.checkAlive()
    const { numClasses: C, representationSize: R } = this.shape
    if (objective.indices.length !== batch) throw new Error(`objective has ${objective.indices.length} indices for a batch of ${batch}`)
    const ce = new Float32Array(batch)
    const logitWeight = new Float32Array(batch * C)
    const featureWeight = new Float32Array(batch * R)
    objective.indices.forEach((index, b) => {
      const size = objective.kind === 'feature' ? R : C
      if (!(Number.isInteger(index) && index >= 0 && index < size)) {
        throw new Error(`${objective.kind === 'feature' ? 'representation coordinate' : 'class'} ${index} is out of range [0, ${size})`)
      }
      switch (objective.kind) {
        case 'crossEntropy': // −log softmax[label] = logsumexp − logit[label]
          ce[b] = 1
          logitWeight[b * C + index] = -1
          break
        case 'logit':
          logitWeight[b * C + index] = 1
          break
        case 'feature':
          featureWeight[b * R + index] = 1
          break
      }
    })
    const ort = this.ort
    const out = await this.gradientSession.run({
      [GRAPH_NAMES.pixels]: this.pixelsTensor(pixels, batch),
      [GRAPH_NAMES.ceWeight]: new ort.Tensor('float32', ce, [batch, 1]),
      [GRAPH_NAMES.logitWeight]: new ort.Tensor('float32', logitWeight, [batch, C]),
      [GRAPH_NAMES.featureWeight]: new ort.Tensor('float32', featureWeight, [batch, R]),
      [GRAPH_NAMES.fakeRelu]: new ort.Tensor('float32', Float32Array.of(objective.kind === 'feature' && objective.fakeRelu ? 1 : 0), [1])
    })
    return {
      values: floatData(out[GRAPH_NAMES.values]),
      grad: floatData(out[GRAPH_NAMES.grad]),
      logits: floatData(out[GRAPH_NAMES.logits]),
      features: floatData(out[GRAPH_NAMES.features])
    }
  }

  private checkAlive(): void {
    if (this.disposed) throw new Error('classifier disposed')
  }

  dispose(): void {
    if (this.disposed) return
    this.disposed = true
    void this.gradientSession.release()
    void this.forwardSession?.then((s) => s.release()).catch(() => {})
  }
}

function floatData(t: Ort.Tensor | undefined): Float32Array {
  if (!t || t.type !== 'float32') throw new Error('ONNX Runtime returned no float32 output')
  return t.data as Float32Array
}
