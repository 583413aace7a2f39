import { describe, expect, it } from 'vitest'
import { COMMANDS, Options, parseCommandLine, parseNumber, usage } from '../../../src/main/cli/args'
import { UsageError } from '../../../src/main/cli/errors'

describe('parseNumber', () => {
  it('reads plain numbers, exponents and fractions', () => {
    expect(parseNumber('eps', '0.5')).toBe(0.5)
    expect(parseNumber('eps', '1e-3')).toBe(0.001)
    expect(parseNumber('eps', '8/255')).toBe(8 / 255)
    expect(parseNumber('eps', ' 2 / 4 ')).toBe(0.5)
  })

  it('refuses text, empty values and division by zero', () => {
    for (const bad of ['abc', '', '1/0', '0x', '1,5']) expect(() => parseNumber('eps', bad), bad).toThrow(UsageError)
  })
})

describe('parseCommandLine', () => {
  it('checks option syntax at parse time, before any work', () => {
    expect(() => parseCommandLine(['attack', '--steps', '2.5'])).toThrow(/--steps: '2.5' is not a non-negative integer/)
    expect(() => parseCommandLine(['attack', '--threat', 'l1'])).toThrow(/--threat: 'l1' is not one of l2, linf/)
    expect(() => parseCommandLine(['activations', '--features', '1,,2'])).toThrow(/--features: empty entry/)
    expect(() => parseCommandLine(['evaluate', '--eps-list', '0,8/255,x'])).toThrow(/--eps-list: 'x' is not a number/)
  })

  it('keeps an option of another command out', () => {
    expect(() => parseCommandLine(['predict', '--eps', '1'])).toThrow(UsageError)
  })

  it('collects a repeated --model and the positionals', () => {
    const parsed = parseCommandLine(['saliency', '--model', 'a', '--model', 'b', 'x.png', 'y.png'])
    expect('help' in parsed).toBe(false)
    if ('help' in parsed) return
    expect(new Options(parsed.values).strings('model')).toEqual(['a', 'b'])
    expect(parsed.positionals).toEqual(['x.png', 'y.png'])
  })
})

describe('usage', () => {
  it('lists every command, and every option of a command with its help', () => {
    const all = usage()
    for (const c of COMMANDS) expect(all).toContain(c)
    expect(usage('evaluate')).toMatch(/--limit N +use at most N images/)
    expect(usage('evaluate')).toMatch(/--models-dir DIR/)
  })
})
