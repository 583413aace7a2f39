import { it } from 'vitest'
import * as ortModule from 'onnxruntime-node'
import { writeRandomModel } from '../../../src/main/engine/models/random'
import { readModelFiles } from '../../../src/main/engine/models/format'
import { networkLayout } from '../../../src/main/engine/models/layout'
import { OnnxClassifier } from '../../../src/main/engine/backends/onnx/classifier'
import { randomImages } from '../engine/helpers'

it('speed', async () => {
  const { dir } = await writeRandomModel('/tmp/honnx-models', { id: 'w64', width: 64, seed: 3 })
  const files = await readModelFiles(dir)
  const layout = networkLayout(files.spec.architecture.name, 64, 10)
  const threads = Number(process.env.THREADS ?? 2)
  const spec = { layout, weights: files.weights, mean: files.spec.input.mean, std: files.spec.input.std, height: 32, width: 32 }
  const variants = {
    conv: await OnnxClassifier.create(ortModule, spec, { threads, stride1Backward: 'conv' }),
    convT: await OnnxClassifier.create(ortModule, spec, { threads, stride1Backward: 'convTranspose' })
  }
  for (const batch of [1, 16]) {
    const images = randomImages(batch, 32, 7).data
    const obj = { kind: 'logit' as const, indices: new Array(batch).fill(3) }
    const times: Record<string, number[]> = { conv: [], convT: [], fwd: [] }
    for (const v of Object.values(variants)) for (let i = 0; i < 2; i++) await v.gradient(images, batch, obj)
    const a = await variants.conv.gradient(images, batch, obj), b = await variants.convT.gradient(images, batch, obj)
    let md = 0, sc = 0; for (let i = 0; i < a.grad.length; i++) { md = Math.max(md, Math.abs(a.grad[i] - b.grad[i])); sc = Math.max(sc, Math.abs(b.grad[i])) }
    for (let i = 0; i < 6; i++) for (const [k, v] of Object.entries(variants)) { const t = performance.now(); await v.gradient(images, batch, obj); times[k].push(performance.now() - t) }
    for (let i = 0; i < 4; i++) { const t = performance.now(); await variants.conv.forward(images, batch); times.fwd.push(performance.now() - t) }
    const med = (x: number[]) => [...x].sort((p, q) => p - q)[x.length >> 1].toFixed(1)
    console.log(`threads ${threads} batch ${batch}: conv ${med(times.conv)} convT ${med(times.convT)} fwd ${med(times.fwd)} ms; rel diff ${md / sc}`)
  }
}, 600_000)
