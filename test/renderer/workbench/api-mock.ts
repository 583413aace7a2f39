/** A window.api for unit tests: scripted invoke answers, recorded calls, and emit() for main → renderer events. */
import type { EventChannel, EventPayloads, InvokeChannel, InvokeResults, RendererApi } from '../../../src/shared/ipc'
import type { ModelInfo } from '../../../src/shared/model-format'
import { defaultSettings } from '../../../src/shared/settings'

type Answer<C extends InvokeChannel> = InvokeResults[C] | ((...args: unknown[]) => InvokeResults[C] | Promise<InvokeResults[C]>)

export interface ApiMock {
  api: RendererApi
  calls: { channel: InvokeChannel; args: unknown[] }[]
  answers: Partial<{ [C in InvokeChannel]: Answer<C> }>
  emit<E extends EventChannel>(event: E, payload: EventPayloads[E]): void
  listenerCount(event: EventChannel): number
}

export function installApiMock(answers: ApiMock['answers'] = {}): ApiMock {
  const listeners = new Map<EventChannel, Set<(p: unknown) => void>>()
  const mock: ApiMock = {
    calls: [],
    answers: {
      'settings:get': defaultSettings(),
      'settings:set': defaultSettings(),
      'settings:reset': defaultSettings(),
      'samples:list': [],
      'app:info': { version: '0.0.0', mode: 'test', backend: 'cpu', backendNotices: [], workers: 2, threads: 1, platform: 'linux' },
      'models:list': [],
      ...answers
    },
    api: {
      invoke: (async (channel: InvokeChannel, ...args: unknown[]) => {
        mock.calls.push({ channel, args })
        const answer = mock.answers[channel] as unknown
        if (answer === undefined) throw new Error(`no mock answer for ${channel}`)
        return typeof answer === 'function' ? await (answer as (...a: unknown[]) => unknown)(...args) : answer
      }) as RendererApi['invoke'],
      on: ((event: EventChannel, listener: (p: unknown) => void) => {
        let set = listeners.get(event)
        if (!set) listeners.set(event, (set = new Set()))
        set.add(listener)
        return () => void set.delete(listener)
      }) as RendererApi['on']
    },
    emit: (event, payload) => listeners.get(event)?.forEach((l) => l(payload)),
    listenerCount: (event) => listeners.get(event)?.size ?? 0
  }
  Object.defineProperty(window, 'api', { value: mock.api, configurable: true, writable: true })
  return mock
}

export function fakeModelInfo(id: string, role: 'standard' | 'robust', pair = 'toy'): ModelInfo {
  return {
    format: 'robust-lens/model@1',
    id,
    pair,
    role,
    architecture: { name: 'resnet18-cifar', width: 4 },
    input: { height: 2, width: 2, channels: 3, layout: 'NHWC', range: [0, 1], mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] },
    classes: ['cat', 'dog', 'frog'],
    representation: { name: 'penultimate', size: 8 },
    training: { dataset: 'toy', threat: role === 'robust' ? 'l2' : 'none', eps: role === 'robust' ? 0.5 : 0, attackSteps: 0, epochs: 0, seed: 0 },
    metrics: { clean: 0, robust: {}, evaluatedWith: 'none' },
    weightsSha256: (role === 'robust' ? 'b' : 'a').repeat(64),
    sizeBytes: 100
  }
}

/** An RGBA image whose pixel (x, y) has red = 10·(y·width + x), green = 255 − red, blue = 0. */
export function gradientImage(width: number, height: number): { data: Uint8ClampedArray<ArrayBuffer>; width: number; height: number } {
  const data = new Uint8ClampedArray(width * height * 4)
  for (let i = 0; i < width * height; i++) {
    data[i * 4] = 10 * i
    data[i * 4 + 1] = 255 - 10 * i
    data[i * 4 + 2] = 0
    data[i * 4 + 3] = 255
  }
  return { data, width, height }
}

/** Minimal valid PNG header bytes (signature + IHDR with the given size): enough for the header checks. */
export function pngHeader(width: number, height: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(33)
  bytes.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52])
  new DataView(bytes.buffer).setUint32(16, width)
  new DataView(bytes.buffer).setUint32(20, height)
  return bytes
}
