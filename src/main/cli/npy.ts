/**
 * NumPy `.npy` read/write for float32 arrays (format versions 1.0–3.0; little-endian, C order).
 * https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html — the format is small enough to own.
 */
import { InputError } from './errors'

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59] // \x93NUMPY

export interface NpyArray {
  data: Float32Array<ArrayBuffer>
  shape: number[]
}

/** Encode a float32 array as .npy version 1.0 (header padded so the data starts at a multiple of 64 bytes). */
export function encodeNpy(data: Float32Array, shape: readonly number[]): Uint8Array {
  const count = shape.reduce((n, d) => n * d, 1)
  if (count !== data.length) throw new Error(`shape [${shape.join(', ')}] needs ${count} values, got ${data.length}`)
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shapeText}, }`
  const prefix = MAGIC.length + 2 + 2
  const total = Math.ceil((prefix + header.length + 1) / 64) * 64
  header = header.padEnd(total - prefix - 1, ' ') + '\n'
  const out = new Uint8Array(total + data.length * 4)
  out.set(MAGIC, 0)
  out[6] = 1 // major
  out[7] = 0 // minor
  new DataView(out.buffer).setUint16(8, header.length, true)
  for (let i = 0; i < header.length; i++) out[prefix + i] = header.charCodeAt(i)
  const view = new DataView(out.buffer, total)
  for (let i = 0; i < data.length; i++) view.setFloat32(4 * i, data[i], true)
  return out
}

/** Decode a .npy holding little-endian float32 in C order; anything else is an InputError naming `source`. */
export function decodeNpy(bytes: Uint8Array, source: string): NpyArray {
  const fail = (why: string): never => {
    throw new InputError(`${source}: not a usable .npy file: ${why}`)
  }
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) fail('missing the \\x93NUMPY magic')
  const major = bytes[6]
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let headerStart: number
  let headerLength: number
  if (major === 1) {
    headerLength = view.getUint16(8, true)
    headerStart = 10
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) fail('truncated header')
    headerLength = view.getUint32(8, true)
    headerStart = 12
  } else {
    return fail(`unsupported format version ${major}.${bytes[7]}`)
  }
  if (headerStart + headerLength > bytes.length) fail('truncated header')
  const header = new TextDecoder('latin1').decode(bytes.subarray(headerStart, headerStart + headerLength))
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1]
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1]
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1]
  if (descr === undefined || fortran === undefined || shapeText === undefined) fail(`cannot parse header ${JSON.stringify(header.trim())}`)
  if (descr !== '<f4') fail(`dtype is '${descr}', expected float32 ('<f4'); convert with a.astype(np.float32)`)
  if (fortran === 'True') fail('Fortran order is not supported; save with np.ascontiguousarray(a)')
  const shape = shapeText!
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => (/^\d+$/.test(s) ? Number(s) : fail(`bad shape entry '${s}'`)))
  const count = shape.reduce((n, d) => n * d, 1)
  const dataStart = headerStart + headerLength
  if (bytes.length - dataStart !== count * 4) {
    fail(`shape (${shape.join(', ')}) needs ${count * 4} data bytes, the file has ${bytes.length - dataStart}`)
  }
  const data = new Float32Array(count)
  const dataView = new DataView(bytes.buffer, bytes.byteOffset + dataStart, count * 4)
  for (let i = 0; i < count; i++) data[i] = dataView.getFloat32(4 * i, true)
  return { data, shape }
}
