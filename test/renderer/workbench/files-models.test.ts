import { describe, expect, it } from 'vitest'
import { filesFromDataTransfer } from '../../../src/renderer/src/lib/files'
import { groupPairs, groupedPairs, pairGroup, pairLabel } from '../../../src/renderer/src/state/models.svelte'
import { fakeModelInfo } from './api-mock'

type FakeEntry = { isFile: boolean; isDirectory: boolean; name: string; file?: (ok: (f: File) => void) => void; createReader?: () => { readEntries: (ok: (e: FakeEntry[]) => void) => void } }

const fileEntry = (name: string): FakeEntry => ({ isFile: true, isDirectory: false, name, file: (ok) => ok(new File(['x'], name)) })
/** A folder whose reader hands out its children in batches of two (readEntries must be called until empty). */
function folder(name: string, children: FakeEntry[]): FakeEntry {
  return {
    isFile: false,
    isDirectory: true,
    name,
    createReader: () => {
      let at = 0
      return {
        readEntries: (ok) => {
          const batch = children.slice(at, at + 2)
          at += batch.length
          ok(batch)
        }
      }
    }
  }
}

describe('filesFromDataTransfer', () => {
  it('walks dropped folders recursively (all readEntries batches) next to plain files', async () => {
    const tree = folder('photos', [fileEntry('b.jpg'), fileEntry('a.jpg'), folder('sub', [fileEntry('c.png')]), fileEntry('d.bmp')])
    const loose = new File(['y'], 'loose.png')
    const items = [
      { kind: 'file', webkitGetAsEntry: () => tree, getAsFile: () => null },
      { kind: 'file', webkitGetAsEntry: () => fileEntry('loose.png'), getAsFile: () => loose }
    ]
    const files = await filesFromDataTransfer({ items, files: [] } as unknown as DataTransfer)
    expect(files.map((f) => f.name)).toEqual(['a.jpg', 'b.jpg', 'd.bmp', 'c.png', 'loose.png'])
  })

  it('falls back to the plain file list without the entry API', async () => {
    const file = new File(['z'], 'z.png')
    const files = await filesFromDataTransfer({ items: [{ kind: 'file', getAsFile: () => file }], files: [file] } as unknown as DataTransfer)
    expect(files).toEqual([file])
  })
})

describe('groupPairs', () => {
  it('pairs the standard model with each robust model of its pair, the first robust keeping the plain id', () => {
    const pairs = groupPairs([fakeModelInfo('b-rob', 'robust', 'b'), fakeModelInfo('a-std', 'standard', 'a'), fakeModelInfo('b-std', 'standard', 'b'), fakeModelInfo('b-rob2', 'robust', 'b')])
    expect(pairs.map((p) => [p.id, p.standard?.id, p.robust?.id])).toEqual([
      ['a', 'a-std', undefined],
      ['b', 'b-std', 'b-rob'],
      ['b · b-rob2', 'b-std', 'b-rob2']
    ])
    expect(pairLabel(pairs[0])).toBe('a (standard)')
    expect(pairLabel(pairs[1])).toBe('b (standard + robust L2 ε=0.5)')
  })

  it('the picker groups pairs by dataset and input size, in pair order', () => {
    const cifar = (id: string, role: 'standard' | 'robust', pair: string) => ({ ...fakeModelInfo(id, role, pair), training: { ...fakeModelInfo(id, role, pair).training, dataset: 'CIFAR-10 (development JPEGs)' } })
    const nette = (id: string, role: 'standard' | 'robust') => {
      const m = fakeModelInfo(id, role, 'in128')
      return { ...m, input: { ...m.input, height: 128, width: 128 }, training: { ...m.training, dataset: 'Imagenette2 (160 px JPEGs)' } }
    }
    const pairs = groupPairs([cifar('c8-std', 'standard', 'c8'), cifar('c8-rob', 'robust', 'c8'), nette('in-std', 'standard'), nette('in-rob', 'robust'), cifar('c16-std', 'standard', 'c16')])
    expect(pairGroup(pairs[0])).toBe('CIFAR-10 · 2×2')
    expect(groupedPairs(pairs).map((g) => [g.group, g.pairs.map((p) => p.id)])).toEqual([
      ['CIFAR-10 · 2×2', ['c16', 'c8']],
      ['Imagenette2 · 128×128', ['in128']]
    ])
  })
})
