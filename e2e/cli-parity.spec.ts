/**
 * The CLI and the app see the same pixels: every bundled JPEG sample decoded by Chromium (createImageBitmap and a
 * canvas, as src/renderer/src/lib/decode.ts does) and by the CLI (src/main/cli/images.ts: libjpeg-turbo's decoder
 * as wasm) must agree exactly; then each side's crop + resize (the renderer's cropResizeRgb at the default centre
 * crop, the CLI's fitToModel) gives the model inputs, and the shipped standard model gives the same probabilities
 * for both. With jpeg-js, the CLI's decoder before, the samples' values differed by up to 64 levels.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { expect, test } from '@playwright/test'
import { decodeImage, fitToModel, toRgbFloat } from '../src/main/cli/images'
import { createEngine } from '../src/main/engine'
import { centerCrop, cropResizeRgb } from '../src/renderer/src/lib/resize'
import { ROOT, SAMPLES_DIR } from './paths'

const MODELS = resolve(ROOT, 'resources/models')
const MODEL_ID = 'cifar10-resnet18w8-standard'
const SAMPLES = readdirSync(SAMPLES_DIR).filter((n) => n.endsWith('.jpg')).sort()

test('the CLI decodes every bundled JPEG to Chromium\'s pixels, and the model gives both the same probabilities', async ({ page }) => {
  test.setTimeout(120_000)
  expect(SAMPLES.length).toBeGreaterThanOrEqual(10)
  const spec = JSON.parse(readFileSync(resolve(MODELS, MODEL_ID, 'model.json'), 'utf8')) as { input: { height: number; width: number; cropFraction?: number } }
  const { height, width } = spec.input
  const appInputs = new Float32Array(SAMPLES.length * height * width * 3)
  const cliInputs = new Float32Array(SAMPLES.length * height * width * 3)
  for (const [i, name] of SAMPLES.entries()) {
    const bytes = readFileSync(resolve(SAMPLES_DIR, name))
    const chromium = await page.evaluate(async (b64) => {
      const bin = atob(b64)
      const arr = new Uint8Array(bin.length)
      for (let k = 0; k < bin.length; k++) arr[k] = bin.charCodeAt(k)
      const bitmap = await createImageBitmap(new Blob([arr], { type: 'image/jpeg' }), { imageOrientation: 'from-image' })
      const ctx = new OffscreenCanvas(bitmap.width, bitmap.height).getContext('2d')!
      ctx.fillStyle = '#fff'
      ctx.fillRect(0, 0, bitmap.width, bitmap.height)
      ctx.drawImage(bitmap, 0, 0)
      const data = ctx.getImageData(0, 0, bitmap.width, bitmap.height).data
      let s = ''
      for (let k = 0; k < data.length; k += 0x8000) s += String.fromCharCode(...data.subarray(k, k + 0x8000))
      return { width: bitmap.width, height: bitmap.height, b64: btoa(s) }
    }, bytes.toString('base64'))
    const appPixels = new Uint8ClampedArray(Buffer.from(chromium.b64, 'base64'))
    const cli = decodeImage(bytes, name)
    expect([cli.width, cli.height], name).toEqual([chromium.width, chromium.height])
    let maxDiff = 0
    for (let k = 0; k < appPixels.length; k++) maxDiff = Math.max(maxDiff, Math.abs(appPixels[k] - cli.data[k]))
    expect(maxDiff, `${name}: largest difference between Chromium's and the CLI's decoded values`).toBe(0)

    cropResizeRgb({ data: appPixels, width: chromium.width, height: chromium.height }, centerCrop(chromium.width, chromium.height), height, width, appInputs, i * height * width * 3)
    cliInputs.set(fitToModel(toRgbFloat(cli), width, height, spec.input.cropFraction ?? 1).data, i * height * width * 3)
  }
  let inputDiff = 0
  for (let k = 0; k < appInputs.length; k++) inputDiff = Math.max(inputDiff, Math.abs(appInputs[k] - cliInputs[k]))
  expect(inputDiff, 'largest difference between the app\'s and the CLI\'s model inputs').toBeLessThan(1e-6)

  const engine = await createEngine({ modelsDir: MODELS, backends: ['wasm'] })
  try {
    const predict = async (data: Float32Array<ArrayBuffer>) => {
      const out = await engine.run({ modelId: MODEL_ID, images: { data, shape: [SAMPLES.length, height, width, 3] }, params: { method: 'predict' } }, { signal: new AbortController().signal, onProgress: () => {} })
      if (out.result.method !== 'predict') throw new Error(`expected a predict result, got ${out.result.method}`)
      return out.result.predictions.probabilities
    }
    const [app, cli] = [await predict(appInputs), await predict(cliInputs)]
    let probabilityDiff = 0
    for (let k = 0; k < app.length; k++) probabilityDiff = Math.max(probabilityDiff, Math.abs(app[k] - cli[k]))
    // the two resize paths round differently in float32 (inputs within 1e-6, above) and the network amplifies that a
    // little (1.25e-6 on the float16 width-8 weights): the models test's decoder tolerance, 5e-6, bounds it
    expect(probabilityDiff, 'largest difference between the probabilities the app and the CLI get').toBeLessThan(5e-6)
  } finally {
    engine.dispose()
  }
})
