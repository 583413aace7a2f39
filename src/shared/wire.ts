/**
 * The browser-mode WebSocket wire format (src/main/serve.ts ⇄ src/renderer/src/browser-mode.ts). One binary frame
 * per message: a 4-byte little-endian header length, a UTF-8 JSON header, then the bytes of every typed array,
 * each 8-byte aligned. In the JSON, a typed array is replaced by `{ "$typed": kind, "offset", "length" }`, so
 * Float32Array / Uint8Array (and the other typed arrays) arrive as themselves, like Electron's structured clone.
 * ArrayBuffer, Map and Set are not supported on purpose: the IPC contract never carries them (toolchain.md §10).
 * Pure TypeScript, no Node or DOM API beyond TextEncoder/TextDecoder.
 */
const TYPED = {
  Float32Array,
  Float64Array,
  Int8Array,
  Int16Array,
  Int32Array,
  Uint8Array,
  Uint8ClampedArray,
  Uint16Array,
  Uint32Array
} as const
type TypedKind = keyof typeof TYPED
type AnyTyped = InstanceType<(typeof TYPED)[TypedKind]>

interface TypedRef {
  $typed: TypedKind
  offset: number
  length: number
}

const align8 = (n: number): number => (n + 7) & ~7

function kindOf(view: ArrayBufferView): TypedKind | null {
  for (const kind of Object.keys(TYPED) as TypedKind[]) if (view instanceof TYPED[kind]) return kind
  return null
}

export function encodeMessage(message: unknown): Uint8Array<ArrayBuffer> {
  const views: AnyTyped[] = []
  let bodyBytes = 0
  const header = JSON.stringify(message, function (this: unknown, _key, value: unknown) {
    if (ArrayBuffer.isView(value)) {
      const kind = kindOf(value)
      if (!kind) throw new Error(`cannot send ${value.constructor.name} over the wire`)
      const ref: TypedRef = { $typed: kind, offset: bodyBytes, length: (value as AnyTyped).length }
      views.push(value as AnyTyped)
      bodyBytes = align8(bodyBytes + value.byteLength)
      return ref
    }
    if (value instanceof ArrayBuffer || value instanceof Map || value instanceof Set) {
      throw new Error(`cannot send ${value.constructor.name} over the wire; use a typed array or a plain object`)
    }
    return value
  })
  const headerBytes = new TextEncoder().encode(header ?? 'null')
  const start = align8(4 + headerBytes.length)
  const out = new Uint8Array(start + bodyBytes)
  new DataView(out.buffer).setUint32(0, headerBytes.length, true)
  out.set(headerBytes, 4)
  let offset = start
  for (const view of views) {
    out.set(new Uint8Array(view.buffer, view.byteOffset, view.byteLength), offset)
    offset = align8(offset + view.byteLength)
  }
  return out
}

/**
 * Decode one frame. `maxHeaderBytes` bounds the JSON part (the receiver's limit: JSON.parse of a huge header
 * stalls the event loop for seconds, while typed arrays are only copied).
 */
export function decodeMessage(bytes: Uint8Array, maxHeaderBytes = Number.POSITIVE_INFINITY): unknown {
  if (bytes.byteLength < 4) throw new Error('wire message too short')
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const headerLength = view.getUint32(0, true)
  if (4 + headerLength > bytes.byteLength) throw new Error('wire message header overruns the frame')
  if (headerLength > maxHeaderBytes) throw new Error(`wire message header of ${headerLength} bytes is larger than ${maxHeaderBytes}`)
  const header = new TextDecoder().decode(bytes.subarray(4, 4 + headerLength))
  const start = align8(4 + headerLength)
  return JSON.parse(header, (_key, value: unknown) => {
    if (value && typeof value === 'object' && '$typed' in value) {
      const ref = value as TypedRef
      const Ctor = Object.hasOwn(TYPED, ref.$typed) ? TYPED[ref.$typed] : null
      if (!Ctor || !Number.isInteger(ref.offset) || !Number.isInteger(ref.length) || ref.offset < 0 || ref.length < 0) {
        throw new Error('wire message has a malformed typed array')
      }
      const byteLength = ref.length * Ctor.BYTES_PER_ELEMENT
      const from = start + ref.offset
      if (from + byteLength > bytes.byteLength) throw new Error('wire message typed array overruns the frame')
      // copy into a fresh, aligned buffer: the array owns its memory, like a structured clone
      const copy = new Uint8Array(byteLength)
      copy.set(bytes.subarray(from, from + byteLength))
      return new Ctor(copy.buffer)
    }
    return value
  })
}
