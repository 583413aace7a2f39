/**
 * A small ONNX graph builder: named values, nodes with typed attributes, float initializers, and serialization to
 * ModelProto bytes through protobufjs (onnx-proto.ts). Value names are generated unique; shapes are only declared
 * for graph inputs and outputs (ONNX Runtime infers the rest).
 */
import { AttributeType, DataType, onnxModelType } from './onnx-proto'

/** ONNX opset the generated graphs import (ReduceMean/ReduceLogSumExp still take `axes` as an attribute here). */
export const OPSET = 17
const IR_VERSION = 8

export type AttributeValue = number | number[] | string | { float: number } | { floats: number[] }
/** A dimension: a fixed size or a symbolic name (the batch). */
export type Dim = number | string

interface Attribute {
  name: string
  type: number
  f?: number
  i?: number
  s?: Uint8Array
  floats?: number[]
  ints?: number[]
}

interface Tensor {
  name: string
  dims: number[]
  data_type: number
  raw_data?: Uint8Array
  int64_data?: number[]
}

interface ValueInfo {
  name: string
  type: { tensor_type: { elem_type: number; shape: { dim: ({ dim_value: number } | { dim_param: string })[] } } }
}

function attribute(name: string, value: AttributeValue): Attribute {
  if (typeof value === 'string') return { name, type: AttributeType.STRING, s: new TextEncoder().encode(value) }
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new Error(`attribute ${name}: ${value} is not an integer (use { float })`)
    return { name, type: AttributeType.INT, i: value }
  }
  if (Array.isArray(value)) return { name, type: AttributeType.INTS, ints: value }
  if ('float' in value) return { name, type: AttributeType.FLOAT, f: value.float }
  return { name, type: AttributeType.FLOATS, floats: value.floats }
}

function valueInfo(name: string, dims: Dim[]): ValueInfo {
  return {
    name,
    type: {
      tensor_type: {
        elem_type: DataType.FLOAT,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) }
      }
    }
  }
}

export class GraphBuilder {
  private readonly nodes: { input: string[]; output: string[]; name: string; op_type: string; attribute: Attribute[] }[] = []
  private readonly initializers: Tensor[] = []
  private readonly inputs: ValueInfo[] = []
  private readonly outputs: ValueInfo[] = []
  private readonly constants = new Map<string, string>()
  private counter = 0

  /** A fresh value name with a readable prefix. */
  fresh(prefix: string): string {
    return `${prefix}_${this.counter++}`
  }

  input(name: string, dims: Dim[]): string {
    this.inputs.push(valueInfo(name, dims))
    return name
  }

  /** Declares `value` a graph output named `name` (an Identity when the names differ). */
  output(name: string, value: string, dims: Dim[]): void {
    if (value !== name) this.node('Identity', [value], {}, name)
    this.outputs.push(valueInfo(name, dims))
  }

  /** A float32 initializer (little-endian raw data). */
  floats(prefix: string, data: Float32Array, dims: number[]): string {
    const count = dims.reduce((a, b) => a * b, 1)
    if (count !== data.length) throw new Error(`initializer ${prefix}: ${data.length} values for shape [${dims.join(', ')}]`)
    const name = this.fresh(prefix)
    const bytes = new Uint8Array(data.byteLength)
    new Float32Array(bytes.buffer).set(data) // copy: raw_data must be exactly this tensor's bytes
    this.initializers.push({ name, dims, data_type: DataType.FLOAT, raw_data: bytes })
    return name
  }

  /** An int64 initializer, shared by value (shapes, axes). */
  int64s(values: number[]): string {
    const key = `i64:${values.join(',')}`
    let name = this.constants.get(key)
    if (!name) {
      name = this.fresh('const_i64')
      this.initializers.push({ name, dims: [values.length], data_type: DataType.INT64, int64_data: values })
      this.constants.set(key, name)
    }
    return name
  }

  /** A float scalar-like constant of the given shape filled with `value`, shared by value and shape. */
  scalar(value: number, dims: number[] = []): string {
    const key = `f32:${value}:${dims.join(',')}`
    let name = this.constants.get(key)
    if (!name) {
      const count = dims.reduce((a, b) => a * b, 1)
      name = this.floats('const_f32', new Float32Array(count).fill(value), dims)
      this.constants.set(key, name)
    }
    return name
  }

  /** Adds a node; returns its first output (named `out` or a fresh name). */
  node(op: string, inputs: string[], attributes: Record<string, AttributeValue> = {}, out?: string): string {
    return this.nodeOutputs(op, inputs, 1, attributes, out ? [out] : undefined)[0]
  }

  /** A node with several outputs. */
  nodeOutputs(op: string, inputs: string[], outputCount: number, attributes: Record<string, AttributeValue> = {}, outs?: string[]): string[] {
    const output = outs ?? Array.from({ length: outputCount }, () => this.fresh(op.toLowerCase()))
    this.nodes.push({
      input: inputs,
      output,
      name: this.fresh(`n_${op}`),
      op_type: op,
      attribute: Object.entries(attributes).map(([k, v]) => attribute(k, v))
    })
    return output
  }

  /** The ModelProto bytes. */
  serialize(name: string, docString = ''): Uint8Array {
    const Model = onnxModelType()
    const message = Model.fromObject({
      ir_version: IR_VERSION,
      opset_import: [{ domain: '', version: OPSET }],
      producer_name: 'robust-lens',
      producer_version: '1',
      doc_string: docString,
      graph: { name, node: this.nodes, initializer: this.initializers, input: this.inputs, output: this.outputs }
    })
    return Model.encode(message).finish()
  }
}
