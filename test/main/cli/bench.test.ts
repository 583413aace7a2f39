import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { runCli } from '../../../src/main/cli/main'
import { writeRandomModel } from '../../../src/main/engine/models/random'

const modelsDir = join(mkdtempSync(join(tmpdir(), 'rl-bench-test-')), 'models')
beforeAll(async () => {
  await writeRandomModel(modelsDir, { id: 'bench-tiny', width: 2, seed: 3 })
})

describe('bench (in process, tiny model)', () => {
  it('prints one JSON object with timings, target verdicts and a leak-free soak; asserts no timing', async () => {
    let stdout = ''
    let stderr = ''
    const code = await runCli(['bench', '--quick', '--workers', '0', '--models-dir', modelsDir, '--soak', '9'], {
      stdout: (t) => void (stdout += t),
      stderr: (t) => void (stderr += t)
    })
    expect(stderr).toBe('')
    expect(code).toBe(0)
    const report = JSON.parse(stdout)
    expect(report.backend).toBe('wasm')
    expect(report.workers).toBe(0)
    const [m] = report.models
    expect(m.id).toBe('bench-tiny')
    for (const batch of ['batch1', 'batch16']) {
      expect(m[batch].forward.medianMs).toBeGreaterThan(0)
      expect(m[batch].gradient.medianMs).toBeGreaterThan(0)
      expect(m[batch].plainTfGrad.gradient.medianMs).toBeGreaterThan(0)
    }
    // the fast gradient is the plain tf.grad gradient (same network, same weights)
    expect(m.batch1.maxRelativeErrorVsPlain).toBeLessThan(1e-4)
    expect(m.tensorsLeaked).toBe(0)
    for (const name of ['smoothGrad50', 'pgd20', 'featureViz200']) expect(m.pool[name].error, name).toBeUndefined()
    expect(typeof m.targets.gradientForwardRatio.pass).toBe('boolean')
    expect(m.targets.thisModelIsTheTargetModel).toBe(false)
    expect(report.soak.jobs).toBe(9)
    expect(report.soak.failures).toBeUndefined()
    expect(report.soak.numTensors.growth).toBe(0)
    expect(report.memory.peakRssMB).toBeGreaterThan(0)
  })
})
