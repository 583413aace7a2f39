import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createMemorySettings, openFileSettings, quarantineCorruptSettings } from '../../src/main/settings'
import { defaultSettings, MAX_SETTINGS_BYTES } from '../../src/shared/settings'
import { tempDir } from './helpers'

describe('settings', () => {
  it('starts from the schema defaults', async () => {
    const store = await openFileSettings(tempDir())
    expect(store.get()).toEqual(defaultSettings())
    expect(store.get()).toMatchObject({ theme: 'system', workers: null, linked: true })
    expect(store.recoveredFrom).toBeNull()
  })

  it('persists a patch without touching the other keys', async () => {
    const dir = tempDir()
    const store = await openFileSettings(dir)
    store.set({ workers: 3 })
    store.set({ theme: 'dark' })
    const reopened = await openFileSettings(dir)
    expect(reopened.get()).toMatchObject({ workers: 3, theme: 'dark', preset: 'lab' })
    expect(JSON.parse(readFileSync(join(dir, 'settings.json'), 'utf8')).workers).toBe(3)
  })

  it('refuses an invalid patch and keeps the stored value', async () => {
    const store = await openFileSettings(tempDir())
    store.set({ workers: 2 })
    expect(() => store.set({ workers: 0 })).toThrow()
    expect(() => store.set({ theme: 'neon' } as never)).toThrow()
    expect(store.get().workers).toBe(2)
  })

  it('reset returns to the defaults', async () => {
    const store = await openFileSettings(tempDir())
    store.set({ linked: false, pair: 'x' })
    expect(store.reset()).toEqual(defaultSettings())
    expect(store.get()).toEqual(defaultSettings())
  })

  it.each([
    ['not JSON', '{"theme": "dark", '],
    ['wrong types', JSON.stringify({ theme: 'dark', workers: 'lots' })],
    ['not an object', '[1, 2, 3]']
  ])('recovers from a corrupt file (%s): backs it up and starts from the defaults', async (_name, content) => {
    const dir = tempDir()
    const file = join(dir, 'settings.json')
    writeFileSync(file, content)
    const store = await openFileSettings(dir)
    expect(store.get()).toEqual(defaultSettings())
    expect(store.recoveredFrom).toMatch(/settings\.json\.corrupt-/)
    expect(readFileSync(store.recoveredFrom!, 'utf8')).toBe(content) // the user's bytes are kept
    store.set({ theme: 'light' })
    expect((await openFileSettings(dir)).get().theme).toBe('light')
  })

  it('leaves a valid file alone', () => {
    const dir = tempDir()
    const file = join(dir, 'settings.json')
    writeFileSync(file, JSON.stringify({ theme: 'dark', someFutureKey: 1 }))
    expect(quarantineCorruptSettings(file)).toBeNull()
    expect(existsSync(file)).toBe(true)
    expect(readdirSync(dir)).toEqual(['settings.json'])
  })

  it('memory store returns copies, so callers cannot mutate it', () => {
    const store = createMemorySettings({ workers: 4 })
    const got = store.get()
    got.workers = 9
    expect(store.get().workers).toBe(4)
  })

  it('bounds what is saved: a 32 MB view record (an opened experiment card) is refused and the file stays small', async () => {
    const dir = tempDir()
    const store = await openFileSettings(dir)
    store.set({ views: { saliency: { 'standard.samples': 50 } } })
    const before = readFileSync(join(dir, 'settings.json'), 'utf8')
    const huge = Object.fromEntries(Array.from({ length: 130_000 }, (_, i) => [`k${i}`, 'x'.repeat(250)]))
    expect(() => store.set({ views: { saliency: huge } })).toThrow(/at most 64 parameters/)
    const wide = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`k${i}`, 'x'.repeat(250)]))
    expect(() => store.set({ views: Object.fromEntries(Array.from({ length: 16 }, (_, v) => [`v${v}`, wide])) })).toThrow(/settings larger than 64 KiB/)
    expect(() => store.set({ views: Object.fromEntries(Array.from({ length: 17 }, (_, v) => [`v${v}`, {}])) })).toThrow(/at most 16 views/)
    expect(readFileSync(join(dir, 'settings.json'), 'utf8')).toBe(before)
    expect(store.get().views).toEqual({ saliency: { 'standard.samples': 50 } })
  })

  it('treats a settings file over the size bound as corrupt (moved aside, defaults used)', async () => {
    const dir = tempDir()
    const file = join(dir, 'settings.json')
    const views = Object.fromEntries(Array.from({ length: 10 }, (_, v) => [`v${v}`, Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, 'x'.repeat(250)]))]))
    writeFileSync(file, JSON.stringify({ ...defaultSettings(), views }))
    expect(readFileSync(file).length).toBeGreaterThan(MAX_SETTINGS_BYTES)
    const store = await openFileSettings(dir)
    expect(store.recoveredFrom).toMatch(/settings\.json\.corrupt-/)
    expect(store.get()).toEqual(defaultSettings())
  })
})
