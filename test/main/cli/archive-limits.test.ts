/**
 * `evaluate` on archives that expand far beyond their size (issue 11 #9): a few hundred KB of .tar.gz that
 * decompresses to more than a GiB. The archive is streamed with bounds and refused with a clear error at the first
 * bound crossed, instead of buffering it and then throwing an uncaught exception.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ARCHIVE_LIMITS, openLabelledSet } from '../../../src/main/cli/dataset'
import { InputError } from '../../../src/main/cli/errors'
import { tempDir } from '../helpers'

/** A ustar header block for a regular file of `size` bytes. */
function tarHeader(name: string, size: number): Buffer {
  const h = Buffer.alloc(512)
  h.write(name, 0, 'utf8')
  h.write('0000644\0', 100)
  h.write('0000000\0', 108)
  h.write('0000000\0', 116)
  h.write(size.toString(8).padStart(11, '0') + '\0', 124)
  h.write('00000000000\0', 136)
  h.write('        ', 148)
  h.write('0', 156)
  h.write('ustar\0' + '00', 257)
  let sum = 0
  for (const b of h) sum += b
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148)
  return h
}

const MiB = 2 ** 20
const zeros = gzipSync(Buffer.alloc(MiB)) // ~1 KB: one gzip member that expands to 1 MiB
/** A multi-member .tar.gz: `entries` files of `mib` MiB of zeros each, ~1 KB per MiB on disk. */
function bomb(file: string, entries: { name: string; mib: number }[]): void {
  const parts: Buffer[] = []
  for (const { name, mib } of entries) {
    parts.push(gzipSync(tarHeader(name, mib * MiB)))
    for (let i = 0; i < mib; i++) parts.push(zeros)
  }
  parts.push(gzipSync(Buffer.alloc(1024)))
  writeFileSync(file, Buffer.concat(parts))
}

describe('archives are read with bounds', () => {
  const uncaught: unknown[] = []
  const record = (e: unknown): void => void uncaught.push(e)
  const dir = tempDir()
  beforeAll(() => process.on('uncaughtException', record))
  afterAll(() => process.off('uncaughtException', record))
  const classes = ['cat', 'dog']

  async function refusal(file: string, limits = ARCHIVE_LIMITS): Promise<string> {
    try {
      await openLabelledSet(file, classes, undefined, limits)
    } catch (e) {
      expect(e).toBeInstanceOf(InputError)
      expect(uncaught).toEqual([])
      return (e as Error).message
    }
    throw new Error('expected the archive to be refused')
  }

  it('refuses a 1.1 GiB image entry in a small .tar.gz from its header, before buffering it', async () => {
    const file = join(dir, 'one-big.tar.gz')
    bomb(file, [{ name: 'cat/a.png', mib: 1100 }])
    const before = process.memoryUsage().arrayBuffers
    expect(await refusal(file)).toBe(`${file}: cat/a.png is ${1100 * MiB} bytes; at most 64 MiB per image`)
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(200 * MiB)
  })

  it('refuses when all images together exceed what it buffers', async () => {
    const file = join(dir, 'many.tar.gz')
    bomb(file, Array.from({ length: 5 }, (_, i) => ({ name: `dog/${i}.png`, mib: 60 })))
    expect(await refusal(file)).toBe(`${file}: more than 256 MiB of images in the archive`)
  })

  it('refuses an archive that expands past the decompressed bound, even in files it skips', async () => {
    const file = join(dir, 'skipped.tar.gz')
    bomb(file, [{ name: 'cat/notes.txt', mib: 40 }])
    expect(await refusal(file, { ...ARCHIVE_LIMITS, totalBytes: 32 * MiB })).toBe(`${file}: the archive expands to more than 32 MiB; refusing to read further`)
  })

  it('refuses more entries than the bound', async () => {
    const file = join(dir, 'entries.tar.gz')
    bomb(file, Array.from({ length: 30 }, (_, i) => ({ name: `cat/${i}.txt`, mib: 0 })))
    expect(await refusal(file, { ...ARCHIVE_LIMITS, entries: 20 })).toBe(`${file}: more than 20 entries in the archive`)
  })

  it('still reads an archive within the bounds', async () => {
    const file = join(dir, 'fine.tar.gz')
    bomb(file, [{ name: 'cat/a.png', mib: 1 }, { name: 'dog/b.png', mib: 1 }])
    const files = await openLabelledSet(file, classes)
    expect(files.map((f) => [f.name, f.label])).toEqual([['cat/a.png', 0], ['dog/b.png', 1]])
    expect((await files[0].read()).length).toBe(MiB)
  })
})
