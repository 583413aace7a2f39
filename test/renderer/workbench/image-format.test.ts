import { describe, expect, it } from 'vitest'
import { checkImageBytes, jpegOrientation, readDimensions, sniffFormat, MAX_FILE_BYTES } from '../../../src/renderer/src/lib/image-format'
import { pngHeader } from './api-mock'

const bytes = (...values: (number | string)[]): Uint8Array =>
  new Uint8Array(values.flatMap((v) => (typeof v === 'string' ? [...v].map((c) => c.charCodeAt(0)) : [v])))

describe('image format checks', () => {
  it('recognises each supported format by its magic bytes', () => {
    expect(sniffFormat(pngHeader(1, 1))).toBe('png')
    expect(sniffFormat(bytes(0xff, 0xd8, 0xff, 0xe0))).toBe('jpeg')
    expect(sniffFormat(bytes('GIF89a'))).toBe('gif')
    expect(sniffFormat(bytes('RIFF', 0, 0, 0, 0, 'WEBP'))).toBe('webp')
    expect(sniffFormat(bytes('BM'))).toBe('bmp')
    expect(sniffFormat(bytes('%PDF-1.4'))).toBeNull()
  })

  it('reads dimensions from PNG, GIF and JPEG headers', () => {
    expect(readDimensions(pngHeader(640, 480), 'png')).toEqual({ width: 640, height: 480 })
    expect(readDimensions(bytes('GIF89a', 0x20, 0x01, 0x10, 0x00), 'gif')).toEqual({ width: 288, height: 16 })
    // SOI, APP0 (length 4, 2 payload bytes), SOF0: length 17, precision 8, height 0x0100, width 0x0200
    const jpeg = bytes(0xff, 0xd8, 0xff, 0xe0, 0x00, 0x04, 0, 0, 0xff, 0xc0, 0x00, 0x11, 0x08, 0x01, 0x00, 0x02, 0x00, 3, 0, 0, 0, 0, 0, 0)
    expect(readDimensions(jpeg, 'jpeg')).toEqual({ width: 512, height: 256 })
  })

  it('names the file and the problem for corrupt, empty, unsupported and oversized files', () => {
    expect(() => checkImageBytes('x.png', new Uint8Array(0))).toThrow('x.png: the file is empty')
    expect(() => checkImageBytes('x.txt', bytes('hello world'))).toThrow('x.txt: not a supported image')
    expect(() => checkImageBytes('cut.png', pngHeader(4, 4).subarray(0, 18))).toThrow(/cut\.png: the PNG header is damaged/)
    expect(() => checkImageBytes('big.png', new Uint8Array(MAX_FILE_BYTES + 1))).toThrow(/big\.png: .* too large/)
    expect(checkImageBytes('ok.png', pngHeader(4, 3))).toEqual({ format: 'png', width: 4, height: 3 })
  })
})

describe('jpegOrientation', () => {
  const exifJpeg = (orientation: number, order: 'MM' | 'II'): Uint8Array => {
    const big = order === 'MM'
    const u16 = (v: number): number[] => (big ? [v >> 8, v & 255] : [v & 255, v >> 8])
    const u32 = (v: number): number[] => (big ? [0, 0, 0, v] : [v, 0, 0, 0])
    const tiff = [...bytes(order), ...u16(42), ...u32(8), ...u16(1), ...u16(0x0112), ...u16(3), ...u32(1), ...u16(orientation), 0, 0, ...u32(0)]
    const payload = [...bytes('Exif', 0, 0), ...tiff]
    const length = payload.length + 2
    return new Uint8Array([0xff, 0xd8, 0xff, 0xe1, length >> 8, length & 255, ...payload, 0xff, 0xda, 0, 2])
  }

  it('reads the orientation tag in both byte orders, and 1 without EXIF', () => {
    expect(jpegOrientation(exifJpeg(6, 'MM'))).toBe(6)
    expect(jpegOrientation(exifJpeg(8, 'II'))).toBe(8)
    expect(jpegOrientation(bytes(0xff, 0xd8, 0xff, 0xe0, 0, 4, 0, 0, 0xff, 0xda, 0, 2))).toBe(1)
    expect(jpegOrientation(exifJpeg(42, 'MM'))).toBe(1)
  })
})
