import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import jpeg from 'jpeg-js'
import { describe, expect, it } from 'vitest'
import { InputError } from '../../../src/main/cli/errors'
import {
  MAX_FILE_BYTES,
  applyOrientation,
  areaWeights,
  centerCropBox,
  cropAndResize,
  decodeImage,
  encodePng,
  fitToModel,
  readImageFile,
  readJpegInfo,
  toRgbFloat,
  type RgbaImage
} from '../../../src/main/cli/images'

const rgba = (width: number, height: number, fill: (x: number, y: number) => [number, number, number]): RgbaImage => {
  const data = new Uint8Array(width * height * 4)
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set([...fill(x, y), 255], 4 * (y * width + x))
  return { data, width, height }
}

/** A JPEG with an EXIF APP1 segment holding only the orientation tag (big-endian TIFF). */
function jpegWithOrientation(img: RgbaImage, orientation: number): Uint8Array {
  const encoded = jpeg.encode({ data: img.data, width: img.width, height: img.height }, 95).data
  const tiff = [0x4d, 0x4d, 0x00, 0x2a, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, orientation, 0, 0, 0, 0, 0, 0, 0, 0]
  const body = [...Buffer.from('Exif\0\0', 'latin1'), ...tiff]
  const app1 = [0xff, 0xe1, (body.length + 2) >> 8, (body.length + 2) & 0xff, ...body]
  return Uint8Array.from([...encoded.subarray(0, 2), ...app1, ...encoded.subarray(2)])
}

describe('decodeImage', () => {
  it('round-trips a PNG exactly', () => {
    const img = rgba(3, 2, (x, y) => [x * 80, y * 200, 7])
    const back = decodeImage(encodePng(img.data, 3, 2), 'a.png')
    expect(back.width).toBe(3)
    expect(back.height).toBe(2)
    expect(Array.from(back.data)).toEqual(Array.from(img.data))
  })

  it('decodes a JPEG to approximately the encoded colours', () => {
    const img = rgba(8, 8, () => [200, 100, 50])
    const back = decodeImage(jpeg.encode({ data: img.data, width: 8, height: 8 }, 95).data, 'a.jpg')
    expect(back.width).toBe(8)
    expect(Math.abs(back.data[0] - 200)).toBeLessThan(4)
    expect(Math.abs(back.data[2] - 50)).toBeLessThan(4)
  })

  it('applies EXIF orientation 6 (rotate 90° clockwise) so a wide image becomes tall', () => {
    // left half black, right half white, 16×8
    const img = rgba(16, 8, (x) => (x < 8 ? [0, 0, 0] : [255, 255, 255]))
    const bytes = jpegWithOrientation(img, 6)
    expect(readJpegInfo(bytes)).toEqual({ width: 16, height: 8, orientation: 6 })
    const back = decodeImage(bytes, 'rotated.jpg')
    expect([back.width, back.height]).toEqual([8, 16])
    // after a clockwise turn the stored left (black) half is on top
    expect(back.data[4 * (1 * 8 + 4)]).toBeLessThan(30)
    expect(back.data[4 * (14 * 8 + 4)]).toBeGreaterThan(225)
  })

  it('names the file when the bytes are corrupt', () => {
    const png = encodePng(rgba(4, 4, () => [1, 2, 3]).data, 4, 4)
    const truncated = png.subarray(0, 40)
    expect(() => decodeImage(truncated, 'broken.png')).toThrow(InputError)
    expect(() => decodeImage(truncated, 'broken.png')).toThrow(/broken\.png: corrupt PNG/)
    const jpg = jpeg.encode({ data: rgba(16, 16, () => [9, 9, 9]).data, width: 16, height: 16 }, 90).data
    expect(() => decodeImage(jpg.subarray(0, jpg.length - 300), 'cut.jpg')).toThrow(/cut\.jpg: corrupt JPEG/)
    expect(() => decodeImage(Uint8Array.from([1, 2, 3, 4]), 'notes.txt')).toThrow(/notes\.txt: not a supported image \(PNG or JPEG\)/)
  })

  it('refuses an image over 50 megapixels from its header, before decoding', () => {
    const png = new Uint8Array(encodePng(rgba(1, 1, () => [0, 0, 0]).data, 1, 1))
    const view = new DataView(png.buffer, png.byteOffset)
    view.setUint32(16, 10_000) // IHDR width
    view.setUint32(20, 6_000) // IHDR height: 60 MP
    expect(() => decodeImage(png, 'huge.png')).toThrow(/huge\.png: 10000×6000 is too many pixels \(at most 50 megapixels\)/)
  })

  it('refuses a 0-wide PNG instead of predicting on a black image (issue 11 #5)', () => {
    const png = new Uint8Array(encodePng(rgba(1, 1, () => [0, 0, 0]).data, 1, 1))
    new DataView(png.buffer, png.byteOffset).setUint32(16, 0) // IHDR width
    expect(() => decodeImage(png, 'zero.png')).toThrow(/zero\.png: the PNG header says 0×1/)
  })

  it('names the file for a JPEG whose EXIF block is truncated (no bare RangeError)', () => {
    const exif = [...Buffer.from('Exif\0\0MM', 'latin1'), 0, 42, 0, 0, 0, 8, 0, 100]
    const cut = Uint8Array.from([0xff, 0xd8, 0xff, 0xe1, 0x40, 0x00, ...exif])
    expect(() => decodeImage(cut, 'cut-exif.jpg')).toThrow(InputError)
    expect(() => decodeImage(cut, 'cut-exif.jpg')).toThrow(/^cut-exif\.jpg: the JPEG header is damaged/)
  })

  it('refuses a path that is not a regular file (a FIFO would block the read)', async () => {
    await expect(readImageFile(tmpdir())).rejects.toThrow(/not a regular file/)
  })

  it('refuses bytes over 64 MiB', () => {
    expect(() => decodeImage(new Uint8Array(MAX_FILE_BYTES + 1), 'big.png')).toThrow(/big\.png: 64 MiB is too large \(at most 64 MiB\)/)
  })
})

describe('readImageFile', () => {
  it('reports a missing file with its path and errno code', async () => {
    await expect(readImageFile('/nonexistent/x.png')).rejects.toThrow(/\/nonexistent\/x\.png: cannot read \(ENOENT\)/)
  })

  it('reads a PNG from disk', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rl-img-'))
    writeFileSync(join(dir, 'a.png'), encodePng(rgba(2, 2, () => [255, 0, 0]).data, 2, 2))
    const img = await readImageFile(join(dir, 'a.png'))
    expect(Array.from(img.data.subarray(0, 4))).toEqual([255, 0, 0, 255])
  })
})

describe('applyOrientation', () => {
  // 2×1 image: pixel values 1 and 2 in the red channel
  const img = { data: Uint8Array.from([1, 0, 0, 255, 2, 0, 0, 255]), width: 2, height: 1 }
  const reds = (i: RgbaImage): number[] => Array.from({ length: i.width * i.height }, (_, p) => i.data[4 * p])
  it.each([
    [1, 2, 1, [1, 2]],
    [2, 2, 1, [2, 1]],
    [3, 2, 1, [2, 1]],
    [6, 1, 2, [1, 2]],
    [8, 1, 2, [2, 1]]
  ])('orientation %i gives a %i×%i image %j', (o, w, h, expected) => {
    const out = applyOrientation(img, o)
    expect([out.width, out.height]).toEqual([w, h])
    expect(reds(out)).toEqual(expected)
  })
})

describe('center crop and area resize', () => {
  it('averages 2×2 blocks exactly when shrinking 4×4 to 2×2', () => {
    const data = new Float32Array(4 * 4 * 3)
    for (let p = 0; p < 16; p++) data.fill(p / 16, 3 * p, 3 * p + 3) // pixel p = row·4 + col
    const out = cropAndResize({ data, width: 4, height: 4 }, { x: 0, y: 0, width: 4, height: 4 }, 2, 2)
    // block means: (0+1+4+5)/4/16, (2+3+6+7)/4/16, (8+9+12+13)/4/16, (10+11+14+15)/4/16
    expect(Array.from(out.data).filter((_, i) => i % 3 === 0)).toEqual([2.5 / 16, 4.5 / 16, 10.5 / 16, 12.5 / 16])
  })

  it('weights partial overlaps for a non-integer factor (3 → 2)', () => {
    expect(areaWeights(3, 2)).toEqual([
      [{ index: 0, weight: 2 / 3 }, { index: 1, weight: 1 / 3 }],
      [{ index: 1, weight: 1 / 3 }, { index: 2, weight: 2 / 3 }]
    ])
  })

  it('crops the centre of a wide image to the model aspect', () => {
    expect(centerCropBox(64, 32, 32, 32)).toEqual({ x: 16, y: 0, width: 32, height: 32 })
    expect(centerCropBox(10, 30, 32, 32)).toEqual({ x: 0, y: 10, width: 10, height: 10 })
  })

  it('keeps only the centre: a wide image with red side bands and a grey middle becomes all grey', () => {
    const img = toRgbFloat(rgba(8, 4, (x) => (x < 2 || x >= 6 ? [255, 0, 0] : [102, 102, 102])))
    const out = fitToModel(img, 2, 2)
    for (const v of out.data) expect(v).toBeCloseTo(0.4, 6)
  })

  it("scales the centred window by the model's cropFraction (a 128 crop of a 146 short side)", () => {
    expect(centerCropBox(146, 200, 128, 128, 128 / 146)).toEqual({ x: 9, y: 36, width: 128, height: 128 })
    expect(centerCropBox(200, 146, 32, 32, 128 / 146)).toEqual({ x: 36, y: 9, width: 128, height: 128 })
    expect(centerCropBox(64, 32, 32, 32, 1)).toEqual(centerCropBox(64, 32, 32, 32))
  })

  it('with cropFraction 0.5, an image at the model size keeps only its centre, resized up', () => {
    const img = toRgbFloat(rgba(4, 4, (x, y) => (x === 0 || x === 3 || y === 0 || y === 3 ? [255, 0, 0] : [102, 102, 102])))
    const out = fitToModel(img, 4, 4, 0.5)
    expect(out).not.toBe(img)
    for (const v of out.data.filter((_, i) => i % 3 === 0)) expect(v).toBeCloseTo(0.4, 6)
  })

  it('returns an image already at the model size unchanged', () => {
    const img = toRgbFloat(rgba(2, 2, () => [1, 2, 3]))
    expect(fitToModel(img, 2, 2)).toBe(img)
  })
})
