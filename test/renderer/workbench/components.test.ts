import { beforeEach, describe, expect, it } from 'vitest'
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte'
import IntakeHarness from './IntakeHarness.svelte'
import Saliency from '../../../src/renderer/src/views/Saliency.svelte'
import Top5 from '../../../src/renderer/src/components/Top5.svelte'
import { ImagesState } from '../../../src/renderer/src/state/images.svelte'
import { ModelsState } from '../../../src/renderer/src/state/models.svelte'
import { SettingsState } from '../../../src/renderer/src/state/settings.svelte'
import { ExportHub } from '../../../src/renderer/src/state/export.svelte'
import { jobEvents } from '../../../src/renderer/src/state/jobs.svelte'
import { checkImageBytes } from '../../../src/renderer/src/lib/image-format'
import type { Decoder } from '../../../src/renderer/src/lib/decode'
import type { JobRequestInput, SaliencyResult } from '../../../src/shared/jobs'
import { fakeModelInfo, gradientImage, installApiMock, pngHeader, type ApiMock } from './api-mock'

const decoder: Decoder = async (name, bytes) => {
  checkImageBytes(name, bytes)
  return gradientImage(4, 4)
}

/** A drop event whose DataTransfer lists plain files (no entry API, like a synthetic drop). */
function dropFiles(target: HTMLElement, files: File[]): Promise<boolean> {
  return fireEvent.drop(target, { dataTransfer: { files, items: [], types: ['Files'] } })
}

let mock: ApiMock
beforeEach(() => {
  jobEvents.reset()
  mock = installApiMock()
})

describe('DropZone + ImageStrip', () => {
  it('adds dropped images to the strip', async () => {
    const images = new ImagesState(decoder)
    render(IntakeHarness, { images })
    await dropFiles(screen.getByTestId('drop-zone'), [new File([pngHeader(4, 4)], 'cat.png')])
    await waitFor(() => expect(screen.getAllByTestId('thumb')).toHaveLength(1))
    expect(screen.getByTitle('cat.png')).toBeTruthy()
  })

  it('rejects a corrupt file with a message naming it and keeps the existing images', async () => {
    const images = new ImagesState(decoder)
    await images.add([new File([pngHeader(4, 4)], 'keep.png')])
    render(IntakeHarness, { images })
    await dropFiles(screen.getByTestId('drop-zone'), [new File([new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1])], 'corrupt.png')])
    const alert = await screen.findByRole('alert')
    expect(alert.textContent).toContain('corrupt.png')
    expect(alert.textContent).toMatch(/header is damaged/)
    expect(screen.getAllByTestId('thumb')).toHaveLength(1)
    expect(screen.getByTitle('keep.png')).toBeTruthy()
  })
})

describe('Saliency view', () => {
  function saliencyResult(scale: number, classIndex: number): SaliencyResult {
    const maps = new Float32Array(12).map((_, i) => (i - 6) * scale)
    return {
      method: 'saliency',
      maps,
      shape: [1, 2, 2, 3],
      classIndex: [classIndex],
      sigmaAbsolute: [0],
      outOfRangeFraction: 0,
      predictions: { probabilities: new Float32Array([0.1, 0.7, 0.2]), classes: 3 }
    }
  }

  it('runs one twin job on both models and renders both maps with their own scales', async () => {
    mock.answers['models:list'] = [fakeModelInfo('std', 'standard'), fakeModelInfo('rob', 'robust')]
    mock.answers['jobs:start'] = () => ({ jobId: 'job-1' })
    const images = new ImagesState(decoder)
    await images.add([new File([pngHeader(4, 4)], 'cat.png')])
    const models = new ModelsState()
    await models.load()
    const settings = new SettingsState()
    const exporter = new ExportHub()
    render(Saliency, { images, models, settings, exporter })

    await fireEvent.click(screen.getByTestId('run'))
    await waitFor(() => expect(mock.calls.some((c) => c.channel === 'jobs:start')).toBe(true))
    const request = mock.calls.find((c) => c.channel === 'jobs:start')?.args[0] as JobRequestInput
    expect(request.models).toEqual(['std', 'rob'])
    expect(request.images.shape).toEqual([1, 2, 2, 3])
    expect(request.params).toMatchObject({ method: 'saliency', gradient: 'loss', classIndex: null, smoothing: { kind: 'none' } })

    const run = { weightsSha256: 'a', backend: 'cpu', ms: 1 }
    mock.emit('job:finished', {
      jobId: 'job-1',
      results: [
        { modelId: 'std', result: saliencyResult(1, 1), run: { ...run, modelId: 'std' } },
        { modelId: 'rob', result: saliencyResult(100, 2), run: { ...run, modelId: 'rob' } }
      ]
    })
    await waitFor(() => expect(screen.getByTestId('map-standard')).toBeTruthy())
    expect(screen.getByTestId('map-robust')).toBeTruthy()
    expect(screen.getByTestId('result-standard').textContent).toContain('1: dog')
    expect(screen.getByTestId('result-robust').textContent).toContain('2: frog')
    const stdScale = screen.getByTestId('scale-standard').textContent ?? ''
    const robScale = screen.getByTestId('scale-robust').textContent ?? ''
    expect(stdScale).not.toEqual(robScale)
    // shared scale: both panels print the same normalisation
    await fireEvent.click(screen.getByTestId('shared-scale'))
    await waitFor(() => expect(screen.getByTestId('scale-standard').textContent).toEqual(screen.getByTestId('scale-robust').textContent))
    expect(screen.getByTestId('convention').textContent).toContain('Lab')
    expect(exporter.snapshot()?.panels).toHaveLength(2)
    // moving a control afterwards does not relabel the maps already shown
    await fireEvent.change(screen.getByTestId('smoothing-standard'), { target: { value: 'vargrad' } })
    expect(screen.getByTestId('result-standard').textContent).not.toContain('VarGrad')
    expect(screen.getByTestId('convention').textContent).not.toContain('VarGrad')
  })

  it('runs one job per model with its own parameters when unlinked', async () => {
    mock.answers['models:list'] = [fakeModelInfo('std', 'standard'), fakeModelInfo('rob', 'robust')]
    let n = 0
    mock.answers['jobs:start'] = () => ({ jobId: `job-${++n}` })
    const images = new ImagesState(decoder)
    await images.add([new File([pngHeader(4, 4)], 'cat.png')])
    const models = new ModelsState()
    await models.load()
    render(Saliency, { images, models })
    await fireEvent.click(screen.getByTestId('link'))
    await fireEvent.change(screen.getByTestId('smoothing-robust'), { target: { value: 'vargrad' } })
    await fireEvent.click(screen.getByTestId('run'))
    await waitFor(() => expect(mock.calls.filter((c) => c.channel === 'jobs:start')).toHaveLength(2))
    const requests = mock.calls.filter((c) => c.channel === 'jobs:start').map((c) => c.args[0] as JobRequestInput)
    expect(requests.map((r) => r.models)).toEqual([['std'], ['rob']])
    expect(requests[0].params).toMatchObject({ smoothing: { kind: 'none' } })
    expect(requests[1].params).toMatchObject({ smoothing: { kind: 'vargrad', samples: 50, sigma: 0.15 } })
  })
})

describe('Top5', () => {
  it('predicts with both models as soon as an image is current and lists their top classes', async () => {
    mock.answers['models:list'] = [fakeModelInfo('std', 'standard'), fakeModelInfo('rob', 'robust')]
    mock.answers['jobs:start'] = () => ({ jobId: 'job-1' })
    const images = new ImagesState(decoder)
    const models = new ModelsState()
    await models.load()
    render(Top5, { images, models })
    expect(mock.calls.some((c) => c.channel === 'jobs:start')).toBe(false)
    await images.add([new File([pngHeader(4, 4)], 'cat.png')])
    await waitFor(() => expect(mock.calls.some((c) => c.channel === 'jobs:start')).toBe(true))
    const request = mock.calls.find((c) => c.channel === 'jobs:start')?.args[0] as JobRequestInput
    expect(request).toMatchObject({ models: ['std', 'rob'], params: { method: 'predict' } })
    const run = { weightsSha256: 'a', backend: 'cpu', ms: 1 }
    const predictions = (p: number[]) => ({ method: 'predict' as const, predictions: { probabilities: new Float32Array(p), classes: 3 } })
    mock.emit('job:finished', {
      jobId: 'job-1',
      results: [
        { modelId: 'std', result: predictions([0.1, 0.2, 0.7]), run: { ...run, modelId: 'std' } },
        { modelId: 'rob', result: predictions([0.6, 0.3, 0.1]), run: { ...run, modelId: 'rob' } }
      ]
    })
    await waitFor(() => expect(screen.getByTestId('top5-standard').querySelectorAll('li')).toHaveLength(3))
    expect(screen.getByTestId('top5-standard').querySelector('li')?.textContent).toContain('frog')
    expect(screen.getByTestId('top5-robust').querySelector('li')?.textContent).toMatch(/cat\s*60\.0%/)
  })
})

describe('Saliency with a single model', () => {
  it('runs and shows that one model only', async () => {
    mock.answers['models:list'] = [fakeModelInfo('solo', 'robust', 'lonely')]
    mock.answers['jobs:start'] = () => ({ jobId: 'job-1' })
    const images = new ImagesState(decoder)
    await images.add([new File([pngHeader(4, 4)], 'cat.png')])
    const models = new ModelsState()
    await models.load()
    render(Saliency, { images, models })
    await fireEvent.click(screen.getByTestId('run'))
    await waitFor(() => expect(mock.calls.some((c) => c.channel === 'jobs:start')).toBe(true))
    expect((mock.calls.find((c) => c.channel === 'jobs:start')?.args[0] as JobRequestInput).models).toEqual(['solo'])
    expect(screen.queryByTestId('result-standard')).toBeNull()
    expect(screen.getByTestId('result-robust')).toBeTruthy()
  })
})
