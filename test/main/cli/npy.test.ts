import { describe, expect, it } from 'vitest'
import { InputError } from '../../../src/main/cli/errors'
import { decodeNpy, encodeNpy } from '../../../src/main/cli/npy'

/** A hand-made v1.0 .npy file with the given header dict and data bytes. */
function npyBytes(header: string, data: Uint8Array): Uint8Array {
  const padded = header.padEnd(Math.ceil((10 + header.length + 1) / 64) * 64 - 11, ' ') + '\n'
  const out = new Uint8Array(10 + padded.length + data.length)
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0])
  new DataView(out.buffer).setUint16(8, padded.length, true)
  out.set(Buffer.from(padded, 'latin1'), 10)
  out.set(data, 10 + padded.length)
  return out
}

describe('npy', () => {
  it('round-trips a float32 NHWC array with its shape', () => {
    const data = Float32Array.from({ length: 2 * 2 * 3 * 3 }, (_, i) => i / 7)
    const bytes = encodeNpy(data, [2, 2, 3, 3])
    expect((bytes.length - data.length * 4) % 64).toBe(0)
    const back = decodeNpy(bytes, 'x.npy')
    expect(back.shape).toEqual([2, 2, 3, 3])
    expect(Array.from(back.data)).toEqual(Array.from(data))
  })

  it('writes the header numpy expects', () => {
    const text = Buffer.from(encodeNpy(new Float32Array(3), [3])).toString('latin1')
    expect(text.slice(0, 6)).toBe('\x93NUMPY')
    expect(text).toContain("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }")
  })

  it('reads a file written by numpy-style headers with extra spacing', () => {
    const data = new Uint8Array(new Float32Array([1.5, -2]).buffer)
    const back = decodeNpy(npyBytes("{'descr':'<f4','fortran_order':False,'shape':(1,2)}", data), 'np.npy')
    expect(back.shape).toEqual([1, 2])
    expect(Array.from(back.data)).toEqual([1.5, -2])
  })

  it('refuses float64 with a message that says how to convert', () => {
    const bytes = npyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", new Uint8Array(8))
    expect(() => decodeNpy(bytes, 'd.npy')).toThrow(InputError)
    expect(() => decodeNpy(bytes, 'd.npy')).toThrow(/d\.npy: .*dtype is '<f8', expected float32.*astype\(np\.float32\)/)
  })

  it('refuses Fortran order, a wrong data length and a missing magic', () => {
    expect(() => decodeNpy(npyBytes("{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }", new Uint8Array(4)), 'f.npy')).toThrow(/Fortran order/)
    expect(() => decodeNpy(npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", new Uint8Array(12)), 's.npy')).toThrow(
      /needs 16 data bytes, the file has 12/
    )
    expect(() => decodeNpy(Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]), 'm.npy')).toThrow(/m\.npy: .*magic/)
  })
})
