import { beforeEach, describe, expect, it } from 'vitest'
import { ImagesState } from '../../../src/renderer/src/state/images.svelte'
import { checkImageBytes } from '../../../src/renderer/src/lib/image-format'
import { cropResizeRgb, centerCrop } from '../../../src/renderer/src/lib/resize'
import type { Decoder } from '../../../src/renderer/src/lib/decode'
import { fakeModelInfo, gradientImage, installApiMock, pngHeader } from './api-mock'

/** Header checks like the real decoder, then fixed pixels (happy-dom has no createImageBitmap). */
const fakeDecoder =
  (width = 4, height = 4): Decoder =>
  async (name, bytes) => {
    checkImageBytes(name, bytes)
    return gradientImage(width, height)
  }

const pngFile = (name: string, w = 4, h = 4): File => new File([pngHeader(w, h)], name, { type: 'image/png' })

describe('ImagesState.toBatch', () => {
  it('area-averages the crop of a known 4×4 image down to 2×2, in [0,1] NHWC', async () => {
    const images = new ImagesState(fakeDecoder(4, 4))
    const [id] = await images.add([pngFile('a.png')])
    const batch = images.toBatch([id], { height: 2, width: 2 })
    expect(batch.shape).toEqual([1, 2, 2, 3])
    // top-left 2×2 block holds pixels 0, 1, 4, 5 → red mean 10·2.5 = 25
    expect(batch.data[0]).toBeCloseTo(25 / 255, 6)
    expect(batch.data[1]).toBeCloseTo(230 / 255, 6)
    expect(batch.data[2]).toBe(0)
    // bottom-right block: pixels 10, 11, 14, 15 → red mean 125
    expect(batch.data[9]).toBeCloseTo(125 / 255, 6)
  })

  it('honours an adjusted crop and concatenates several images into one batch', async () => {
    const images = new ImagesState(fakeDecoder(4, 4))
    const [a, b] = await images.add([pngFile('a.png'), pngFile('b.png')])
    images.setCrop(b, { x: 2, y: 2, size: 2 })
    const batch = images.toBatch([a, b], { height: 1, width: 1 })
    expect(batch.shape).toEqual([2, 1, 1, 3])
    expect(batch.data[0]).toBeCloseTo((10 * 7.5) / 255, 6) // whole image: mean index 7.5
    expect(batch.data[3]).toBeCloseTo(125 / 255, 6) // crop = pixels 10, 11, 14, 15
  })

  it('center-crops a landscape image to its middle square by default', async () => {
    const images = new ImagesState(fakeDecoder(6, 2))
    const [id] = await images.add([pngFile('wide.png', 6, 2)])
    expect(images.get(id)?.crop).toEqual({ x: 2, y: 0, size: 2 })
  })

  it('hands out a fresh batch array each time and recomputes after a crop change', async () => {
    const images = new ImagesState(fakeDecoder(4, 4))
    const [id] = await images.add([pngFile('a.png')])
    const first = images.toBatch([id], { height: 1, width: 1 })
    const again = images.toBatch([id], { height: 1, width: 1 })
    expect(again.data).not.toBe(first.data)
    expect(again.data).toEqual(first.data)
    images.setCrop(id, { x: 0, y: 0, size: 2 })
    expect(images.toBatch([id], { height: 1, width: 1 }).data[0]).toBeCloseTo(25 / 255, 6) // pixels 0, 1, 4, 5
  })

  it('throws for an unknown image id', () => {
    expect(() => new ImagesState(fakeDecoder()).toBatch(['nope'], { height: 2, width: 2 })).toThrow(/no loaded image/)
  })
})

describe('ImagesState intake', () => {
  beforeEach(() => installApiMock())

  it('reports a corrupt file by name and keeps the images already loaded', async () => {
    const images = new ImagesState(fakeDecoder())
    const [first] = await images.add([pngFile('good.png')])
    const added = await images.add([new File([new Uint8Array([1, 2, 3, 4, 5])], 'broken.png')])
    expect(added).toEqual([])
    expect(images.images.map((i) => i.id)).toEqual([first])
    expect(images.currentId).toBe(first)
    expect(images.errors).toHaveLength(1)
    expect(images.errors[0].message).toContain('broken.png')
    expect(images.errors[0].message).toContain('not a supported image')
  })

  it('refuses an image with too many pixels before decoding', async () => {
    const images = new ImagesState(fakeDecoder())
    await images.add([pngFile('huge.png', 20000, 20000)])
    expect(images.images).toHaveLength(0)
    expect(images.errors[0].message).toMatch(/huge\.png: 20000×20000 is too many pixels/)
  })

  it('loads samples through samples:read once each and keeps their label', async () => {
    const mock = installApiMock({
      'samples:list': [{ id: 'cat.jpg', title: 'Cat', label: 'cat', source: 'x', license: 'CC0' }],
      'samples:read': () => pngHeader(4, 4)
    })
    const images = new ImagesState(fakeDecoder())
    await images.loadSampleList()
    await images.addSamples(['cat.jpg'])
    await images.addSamples(['cat.jpg'])
    expect(images.images).toHaveLength(1)
    expect(images.images[0]).toMatchObject({ name: 'Cat', labels: { '*': 'cat' }, source: { kind: 'sample', sampleId: 'cat.jpg' } })
    expect(mock.calls.filter((c) => c.channel === 'samples:read')).toHaveLength(1)
  })

  it('resolves a sample\'s label per pair, lets the user set or clear it per dataset, and crops new images at the pair\'s fraction', async () => {
    installApiMock({
      'samples:list': [{ id: 'church.jpg', title: 'Church', label: null, labels: { imagenette: 'church', cifar10: 'truck' }, source: 'x', license: 'CC0' }],
      'samples:read': () => pngHeader(10, 10)
    })
    const images = new ImagesState(fakeDecoder(10, 10))
    await images.loadSampleList()
    images.cropFraction = 0.8
    const [id] = await images.addSamples(['church.jpg'])
    const image = images.get(id)!
    // the centered 80 % of the short side
    expect(image.crop).toEqual({ x: 1, y: 1, size: 8 })
    const cifar = { ...fakeModelInfo('s', 'standard'), classes: ['airplane', 'truck'], training: { ...fakeModelInfo('s', 'standard').training, dataset: 'CIFAR-10 (dev JPEGs)' } }
    const nette = { ...cifar, classes: ['tench', 'church'], training: { ...cifar.training, dataset: 'Imagenette 160 px' } }
    const other = { ...cifar, classes: ['apple', 'pear'], training: { ...cifar.training, dataset: 'fruit' } }
    expect(images.labelFor(image, nette)).toEqual({ index: 1, name: 'church', source: 'sample' })
    expect(images.labelFor(image, cifar)).toEqual({ index: 1, name: 'truck', source: 'sample' })
    expect(images.labelFor(image, other)).toBeNull()
    // the user's pick is per dataset; "unknown" overrides the sample's label
    images.setLabel(id, cifar, null)
    expect(images.labelFor(image, cifar)).toBeNull()
    expect(images.labelFor(image, nette)?.name).toBe('church')
    images.setLabel(id, other, 0)
    expect(images.labelFor(image, other)).toEqual({ index: 0, name: 'apple', source: 'user' })
    expect(() => images.setLabel(id, other, 5)).toThrow(/no class 5/)
    // a label change leaves the image object (and so its cached model input and predictions) alone
    expect(images.get(id)).toBe(image)
  })

  it('selects the next image when the current one is removed', async () => {
    const images = new ImagesState(fakeDecoder())
    const [a, b] = await images.add([pngFile('a.png'), pngFile('b.png')])
    images.select(a)
    images.remove(a)
    expect(images.currentId).toBe(b)
    images.remove(b)
    expect(images.currentId).toBeNull()
  })
})

describe('cropResizeRgb', () => {
  it('is exact for an integer factor and never leaves [0,1]', () => {
    const img = gradientImage(4, 4)
    img.data.fill(255)
    const out = cropResizeRgb(img, centerCrop(4, 4), 3, 3)
    for (const v of out) expect(v).toBeLessThanOrEqual(1)
    expect(out[0]).toBe(1)
  })
})
