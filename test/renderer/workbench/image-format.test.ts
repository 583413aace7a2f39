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
    expect(readDimensions(pngHeader(640, 480), 'png')).toMatchObject({ width: 640, height: 480 })
    expect(readDimensions(bytes('GIF89a', 0x20, 0x01, 0x10, 0x00, 0x00), 'gif')).toMatchObject({ width: 288, height: 16 })
    // SOI, APP0 (length 4, 2 payload bytes), SOF0: length 17, precision 8, height 0x0100, width 0x0200
    const jpeg = bytes(0xff, 0xd8, 0xff, 0xe0, 0x00, 0x04, 0, 0, 0xff, 0xc0, 0x00, 0x11, 0x08, 0x01, 0x00, 0x02, 0x00, 3, 0, 0, 0, 0, 0, 0)
    expect(readDimensions(jpeg, 'jpeg')).toMatchObject({ width: 512, height: 256 })
  })

  it('names the file and the problem for corrupt, empty, unsupported and oversized files', () => {
    expect(() => checkImageBytes('x.png', new Uint8Array(0))).toThrow('x.png: the file is empty')
    expect(() => checkImageBytes('x.txt', bytes('hello world'))).toThrow('x.txt: not a supported image')
    expect(() => checkImageBytes('cut.png', pngHeader(4, 4).subarray(0, 18))).toThrow(/cut\.png: the PNG header is damaged/)
    expect(() => checkImageBytes('big.png', new Uint8Array(MAX_FILE_BYTES + 1))).toThrow(/big\.png: .* too large/)
    expect(checkImageBytes('ok.png', pngHeader(4, 3))).toEqual({ format: 'png', width: 4, height: 3 })
  })
})

/** Little-endian u16 / u24 / u32 as bytes. */
const le = (value: number, size: number): number[] => Array.from({ length: size }, (_, i) => Math.floor(value / 256 ** i) % 256)
const be32 = (value: number): number[] => le(value, 4).reverse()

describe('the size a decoder will allocate, every format (issue 11 #5)', () => {
  it('refuses a GIF whose frame is far larger than its 1×1 logical screen', () => {
    const gif = bytes('GIF89a', ...le(1, 2), ...le(1, 2), 0, 0, 0, 0x2c, ...le(0, 2), ...le(0, 2), ...le(20000, 2), ...le(20000, 2), 0, 2, 2, 0x4c, 0x01, 0, 0x3b)
    expect(() => checkImageBytes('bomb.gif', gif)).toThrow(/bomb\.gif: 1×1 \(its frames need 400\.0 megapixels\) is too many pixels/)
    // the same file with a small frame is fine
    const small = bytes('GIF89a', ...le(1, 2), ...le(1, 2), 0, 0, 0, 0x2c, ...le(0, 2), ...le(0, 2), ...le(1, 2), ...le(1, 2), 0, 2, 2, 0x4c, 0x01, 0, 0x3b)
    expect(checkImageBytes('ok.gif', small)).toEqual({ format: 'gif', width: 1, height: 1 })
  })

  it('refuses a WebP whose lossless bitstream is far larger than its 1×1 canvas', () => {
    const vp8x = [...bytes('VP8X'), ...le(10, 4), 0, 0, 0, 0, ...le(0, 3), ...le(0, 3)]
    const bits = 16383 | (16383 << 14)
    const vp8l = [...bytes('VP8L'), ...le(5, 4), 0x2f, ...le(bits >>> 0, 4), 0]
    const body = [...bytes('WEBP'), ...vp8x, ...vp8l]
    const webp = new Uint8Array([...bytes('RIFF'), ...le(body.length, 4), ...body])
    expect(() => checkImageBytes('big.webp', webp)).toThrow(/big\.webp: 1×1 \(its frames need 268\.4 megapixels\) is too many pixels/)
  })

  it('refuses an APNG frame outside the PNG canvas', () => {
    const fctl = [...be32(26), ...bytes('fcTL'), ...be32(0), ...be32(20000), ...be32(20000), ...be32(0), ...be32(0), 0, 1, 0, 1, 0, 0, 0, 0, 0, 0]
    const apng = new Uint8Array([...pngHeader(1, 1), ...fctl])
    expect(() => checkImageBytes('anim.png', apng)).toThrow(/anim\.png: the PNG header is damaged/)
  })

  it('reads an OS/2 (BITMAPCOREHEADER) BMP as the 2×2 image it is, and a Windows BMP with a top-down height', () => {
    const core = bytes('BM', ...le(42, 4), 0, 0, 0, 0, ...le(26, 4), ...le(12, 4), ...le(2, 2), ...le(2, 2), ...le(1, 2), ...le(24, 2), ...new Array(16).fill(0))
    expect(checkImageBytes('os2.bmp', core)).toEqual({ format: 'bmp', width: 2, height: 2 })
    const info = bytes('BM', ...le(70, 4), 0, 0, 0, 0, ...le(54, 4), ...le(40, 4), ...le(2, 4), ...le(2 ** 32 - 2, 4), ...le(1, 2), ...le(24, 2), ...new Array(40).fill(0))
    expect(checkImageBytes('win.bmp', info)).toEqual({ format: 'bmp', width: 2, height: 2 })
  })

  it('refuses a 0-pixel side in any header', () => {
    expect(() => checkImageBytes('thin.png', pngHeader(0, 5))).toThrow(/thin\.png: the PNG header says 0×5/)
  })

  it('reports a JPEG whose EXIF block runs past the end of the file as damaged, naming the file', () => {
    const exif = [...bytes('Exif', 0, 0, 'MM'), 0, 42, ...be32(8), 0, 100]
    const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xe1, 0x40, 0x00, ...exif])
    expect(() => checkImageBytes('cut.jpg', jpeg)).toThrow(/^cut\.jpg: the JPEG header is damaged/)
    expect(jpegOrientation(jpeg)).toBe(1)
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
