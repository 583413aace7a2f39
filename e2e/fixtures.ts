/**
 * The bridge: the built renderer in Debian Chromium, window.api from the real buildApi, every invoke routed to the
 * REAL main handlers (createServices: validation, jobs, pool) running in the Playwright process, computing on the
 * REAL built worker chunk. Main → renderer events go back through page.evaluate.
 */
import { createServer, type Server } from 'node:http'
import { readFile } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { extname, join, normalize, sep } from 'node:path'
import { Worker } from 'node:worker_threads'
import { test as base, expect, type Page } from '@playwright/test'
import { createServices, type Services } from '../src/main/services'
import { createMemorySettings } from '../src/main/settings'
import { invokeHandler } from '../src/main/handlers'
import type { EventChannel, EventPayloads } from '../src/shared/ipc'
import { BRIDGE_BUNDLE, BUILT, FAST_MODELS, SAMPLES_DIR, SCREENS, builtWorkerChunk } from './paths'

export interface Bridge {
  services: Services
  /** Every invoke that reached the handlers (after validation passed or not). */
  calls: { channel: string; args: unknown[]; result?: unknown; error?: string }[]
  /** Every event main sent to the page. */
  events: { [E in EventChannel]: { channel: E; payload: EventPayloads[E] } }[EventChannel][]
}

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.png': 'image/png' }

/** ~20-line static server for out/renderer on 127.0.0.1 (file:// would need --allow-file-access-from-files). */
async function serveDir(root: string): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname
    const file = normalize(join(root, path === '/' ? 'index.html' : decodeURIComponent(path)))
    if (!file.startsWith(root + sep)) return void res.writeHead(403).end()
    readFile(file).then(
      (body) => res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body),
      () => res.writeHead(404).end()
    )
  })
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((done) => server.close(() => done())) }
}

export const test = base.extend<{ bridge: Bridge; modelsDir: string }, { rendererUrl: string }>({
  modelsDir: [FAST_MODELS, { option: true }],
  rendererUrl: [
    async ({}, use) => {
      const server = await serveDir(join(BUILT, 'renderer'))
      await use(`${server.url}/index.html`)
      await server.close()
    },
    { scope: 'worker' }
  ],
  bridge: [
    async ({ page, rendererUrl, modelsDir }, use) => {
      const events: Bridge['events'] = []
      const calls: Bridge['calls'] = []
      const chunk = builtWorkerChunk()
      const services = createServices({
        mode: 'test',
        version: 'e2e',
        modelsDir,
        samplesDir: SAMPLES_DIR,
        settings: createMemorySettings(),
        // the app's automatic layout (compute/layout.ts): on a 2-core machine one worker with 2 wasm threads
        workerFactory: () => new Worker(chunk),
        emit: (channel, payload) => {
          events.push({ channel, payload } as Bridge['events'][number])
          void page.evaluate(([c, p]) => window.__e2eEmit(c, p), [channel, payload] as const).catch(() => {})
        }
      })
      await page.exposeBinding('__e2eInvoke', async (_source, channel: string, args: unknown[]) => {
        const call: Bridge['calls'][number] = { channel, args }
        calls.push(call)
        try {
          call.result = await invokeHandler(services.handlers, channel, args)
          return call.result
        } catch (error) {
          call.error = (error as Error).message
          throw error
        }
      })
      await page.addInitScript({ path: BRIDGE_BUNDLE })
      await page.goto(rendererUrl)
      await use({ services, calls, events })
      await services.dispose()
    },
    { auto: true } // otherwise tests that don't name `bridge` run on about:blank
  ]
})

export { expect }

/** Ids of the jobs the page started with this method (jobs:start calls that were accepted). */
export function jobIds(bridge: Bridge, method: string): string[] {
  return bridge.calls
    .filter((c) => c.channel === 'jobs:start' && (c.args[0] as { params?: { method?: string } })?.params?.method === method && c.result)
    .map((c) => (c.result as { jobId: string }).jobId)
}

/** The events of the given jobs only (the workbench also runs predictions of its own). */
export function eventsOf(bridge: Bridge, ids: string[]): Bridge['events'] {
  return bridge.events.filter((e) => ids.includes(e.payload.jobId))
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENS, `${name}.png`), fullPage: true })
}

/** Drop files on the drop zone the way a user's drag-and-drop does (a DataTransfer with File objects). */
export async function dropFiles(page: Page, files: { name: string; mimeType: string; bytes: Buffer }[], testId = 'drop-zone'): Promise<void> {
  const payload = files.map((f) => ({ name: f.name, type: f.mimeType, b64: f.bytes.toString('base64') }))
  const dataTransfer = await page.evaluateHandle((list) => {
    const dt = new DataTransfer()
    for (const f of list) {
      const bin = atob(f.b64)
      const bytes = new Uint8Array(bin.length)
      for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i)
      dt.items.add(new File([bytes], f.name, { type: f.type }))
    }
    return dt
  }, payload)
  await page.getByTestId(testId).dispatchEvent('dragover', { dataTransfer })
  await page.getByTestId(testId).dispatchEvent('drop', { dataTransfer })
}

/** Both models' saliency maps are `size`×`size` canvases shown at least `size` CSS px wide (not a smaller mosaic). */
export async function expectMapsAt(page: Page, size: number): Promise<void> {
  for (const role of ['standard', 'robust']) {
    const map = page.getByTestId(`map-${role}`).locator('canvas')
    await expect(map).toHaveJSProperty('width', size)
    expect((await map.boundingBox())?.width).toBeGreaterThanOrEqual(size)
  }
}
