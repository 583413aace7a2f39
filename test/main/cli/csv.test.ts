import { describe, expect, it } from 'vitest'
import { csvField, tableCsv, telemetryCsv } from '../../../src/main/cli/csv'

describe('telemetry CSV', () => {
  it('writes one row per model, step and image with top-5 in one field', () => {
    const csv = telemetryCsv([
      {
        modelId: 'm1',
        telemetry: [
          {
            step: 1,
            loss: [0.5, 0.25],
            pTrue: [0.9, 0.8],
            pTarget: [0.01, 0.02],
            top5: [[{ index: 3, p: 0.9 }, { index: 1, p: 0.05 }], [{ index: 2, p: 0.8 }]],
            deltaL2: [0.1, 0.2],
            deltaLinf: [0.01, 0.02],
            gradNorm: [1, 2]
          }
        ]
      }
    ])
    const lines = csv.trim().split('\n')
    expect(lines[0]).toBe('model,step,image,loss,p_true,p_target,delta_l2,delta_linf,grad_norm,activation,top1,top1_p,top5')
    expect(lines[1]).toBe('m1,1,0,0.5,0.9,0.01,0.1,0.01,1,,3,0.9,3:0.900000 1:0.0500000')
    expect(lines[2]).toBe('m1,1,1,0.25,0.8,0.02,0.2,0.02,2,,2,0.8,2:0.800000')
  })

  it('quotes fields that hold commas or quotes', () => {
    expect(csvField('a,b')).toBe('"a,b"')
    expect(csvField('say "hi"')).toBe('"say ""hi"""')
    expect(tableCsv(['eps', 'acc'], [[0.5, null]])).toBe('eps,acc\n0.5,\n')
  })
})
