/** The desktop path: the real electron-store (electron mocked, toolchain.md §7), same recovery rules. */
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it, vi } from 'vitest'

vi.mock('electron', () => ({ default: {} }))
const { openElectronSettings } = await import('../../src/main/settings')
const { tempDir } = await import('./helpers')

describe('settings through electron-store', () => {
  it('persists to settings.json in the given folder', async () => {
    const dir = tempDir()
    const store = await openElectronSettings(dir)
    store.set({ theme: 'dark' })
    expect(store.location).toBe(join(dir, 'settings.json'))
    expect(existsSync(join(dir, 'settings.json'))).toBe(true)
    expect((await openElectronSettings(dir)).get().theme).toBe('dark')
  })

  it('recovers from a corrupt file without failing', async () => {
    const dir = tempDir()
    writeFileSync(join(dir, 'settings.json'), '\u0000\u0001 not json')
    const store = await openElectronSettings(dir)
    expect(store.get().theme).toBe('system')
    expect(store.recoveredFrom).toMatch(/settings\.json\.corrupt-/)
  })
})
