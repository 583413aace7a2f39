/**
 * scripts/test-all.mjs (`npm test`) with every runner faked: each way a run can go wrong turns the total line into a
 * failure and the exit code non-zero, and says which. The real runners' configs forbid `.only`.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runAll, type Exec, type Exit } from '../../scripts/test-all.mjs'
import vitestConfig from '../../vitest.config'

interface Scenario {
  build?: Exit
  vitest?: { exit?: Exit; report?: object | string | null }
  e2e?: { exit?: Exit; report?: object | string | null }
  /** per interpreter: has PyTorch? */
  torch?: Record<string, boolean>
  training?: { exit?: Exit; output?: string }
  env?: NodeJS.ProcessEnv
}

const OK: Exit = { status: 0, signal: null }

function vitestReport(tests: { name: string; status: string }[], success = tests.every((t) => t.status !== 'failed')) {
  return {
    success,
    testResults: [{ name: '/repo/test/main/a.test.ts', status: success ? 'passed' : 'failed', message: '', assertionResults: tests.map((t) => ({ fullName: t.name, status: t.status })) }]
  }
}
const VITEST_OK = vitestReport([{ name: 'adds', status: 'passed' }, { name: 'soak (SOAK=1 runs it)', status: 'skipped' }])

interface PwTest { title: string; status: string; expectedStatus?: string; results?: { status: string }[]; skip?: string }
function e2eReport(tests: PwTest[], errors: object[] = []) {
  return {
    errors,
    suites: [
      {
        title: 'a.spec.ts',
        specs: tests.map((t) => ({
          title: t.title,
          tests: [{ projectName: 'p', status: t.status, expectedStatus: t.expectedStatus ?? 'passed', results: t.results ?? [{ status: 'passed' }], annotations: t.skip ? [{ type: 'skip', description: t.skip }] : [] }]
        }))
      }
    ]
  }
}
const E2E_OK = e2eReport([
  { title: 'loads', status: 'expected' },
  { title: 'electron', status: 'skipped', expectedStatus: 'skipped', results: [{ status: 'skipped' }], skip: 'no Electron binary: not downloaded' }
])

const TRAINING_OK = `test_a (training.test_pipeline.A.test_a) ... ok
test_b (training.test_pipeline.A.test_b)
A docstring on its own line. ... ok

----------------------------------------------------------------------
Ran 2 tests in 1.0s

OK
`

function run(scenario: Scenario): { code: number; lines: string[]; total: string } {
  const dir = mkdtempSync(join(tmpdir(), 'rl-test-all-'))
  const vitestFile = join(dir, 'vitest.json')
  const e2eFile = join(dir, 'results.json')
  const trainingTests = join(dir, 'test_pipeline.py')
  writeFileSync(trainingTests, 'class A:\n    def test_a(self): pass\n    def test_b(self): pass\n')
  const write = (file: string, report: object | string | null | undefined, fallback: object): void => {
    if (report === null) return // the runner wrote no report
    writeFileSync(file, typeof report === 'string' ? report : JSON.stringify(report ?? fallback))
  }
  const exec: Exec = (command, args) => {
    const name = basename(command)
    if (name === 'electron-vite') return scenario.build ?? OK
    if (name === 'vitest') {
      write(vitestFile, scenario.vitest?.report, VITEST_OK)
      return scenario.vitest?.exit ?? OK
    }
    if (name === 'playwright') {
      write(e2eFile, scenario.e2e?.report, E2E_OK)
      return scenario.e2e?.exit ?? OK
    }
    if (args[0] === '-c') return { status: (scenario.torch ?? { '/usr/bin/python3': true })[command] ? 0 : 1 }
    return { ...(scenario.training?.exit ?? OK), output: scenario.training?.output ?? TRAINING_OK }
  }
  const lines: string[] = []
  const code = runAll({ root: '/repo', exec, log: (line) => lines.push(line), env: scenario.env ?? {}, vitestReport: vitestFile, e2eReport: e2eFile, trainingTests, pythonExists: () => true })
  return { code, lines, total: lines.at(-1)! }
}

describe('npm test summary (scripts/test-all.mjs)', () => {
  it('a clean run passes and lists each skip with its reason', () => {
    const r = run({})
    expect(r.code).toBe(0)
    expect(r.total).toBe('4 passed, 0 failed, 2 skipped')
    expect(r.lines).toContain('  skipped: test/main/a.test.ts › soak (SOAK=1 runs it) — skipped by its condition (the title says when it runs)')
    expect(r.lines).toContain('  skipped: [p] a.spec.ts › electron — no Electron binary: not downloaded')
  })

  it('vitest exiting 1 with a "success" report (an unhandled rejection after a passing test) fails', () => {
    const r = run({ vitest: { exit: { status: 1 } } })
    expect(r.code).toBe(1)
    expect(r.total).toBe('4 passed, 1 failed, 2 skipped')
    expect(r.lines).toContain('  FAILED: vitest exited with code 1')
  })

  it('a missing report fails, for either runner', () => {
    for (const scenario of [{ vitest: { report: null } }, { e2e: { report: null } }]) {
      const r = run(scenario)
      expect(r.code).toBe(1)
      expect(r.lines.some((l) => /^ {2}FAILED: no report/.test(l))).toBe(true)
    }
  })

  it('a truncated report fails', () => {
    const r = run({ e2e: { report: JSON.stringify(E2E_OK).slice(0, 40) } })
    expect(r.code).toBe(1)
    expect(r.lines.some((l) => l.startsWith('  FAILED: report unreadable, truncated?'))).toBe(true)
  })

  it('an interrupted Playwright run (SIGINT, exit 130) fails and names the tests that did not run', () => {
    const report = e2eReport([
      { title: 'loads', status: 'expected' },
      { title: 'attacks', status: 'skipped', results: [{ status: 'interrupted' }] },
      { title: 'exports', status: 'skipped', results: [] }
    ])
    const r = run({ e2e: { exit: { status: 130 }, report } })
    expect(r.code).toBe(1)
    expect(r.lines).toContain('e2e: 1 passed, 3 failed, 0 skipped')
    expect(r.lines).toEqual(expect.arrayContaining(['  FAILED: playwright was interrupted (exit code 130)', '  failed: [p] a.spec.ts › attacks (did not run: interrupted)', '  failed: [p] a.spec.ts › exports (did not run)']))
  })

  it('vitest interrupted by a signal fails, and the later runners are not started', () => {
    const report = vitestReport([{ name: 'adds', status: 'passed' }, { name: 'slow', status: 'pending' }])
    const r = run({ vitest: { exit: { status: null, signal: 'SIGINT' }, report } })
    expect(r.code).toBe(1)
    expect(r.lines).toEqual(expect.arrayContaining(['  FAILED: vitest was interrupted (SIGINT)', '  failed: test/main/a.test.ts › slow (did not finish: pending)']))
    expect(r.lines).toContain('  FAILED: playwright did not run: the run was interrupted')
    expect(r.lines).toContain('e2e: 0 passed, 1 failed, 0 skipped')
  })

  it('a failing test is counted once, named, and fails the run', () => {
    const r = run({ vitest: { exit: { status: 1 }, report: vitestReport([{ name: 'adds', status: 'failed' }]) } })
    expect(r.lines).toContain('vitest: 0 passed, 1 failed, 0 skipped')
    expect(r.lines).toContain('  failed: test/main/a.test.ts › adds')
    expect(r.code).toBe(1)
  })

  it('errors outside tests in either report fail the run', () => {
    expect(run({ vitest: { report: vitestReport([{ name: 'adds', status: 'passed' }], false) } }).code).toBe(1)
    expect(run({ e2e: { report: e2eReport([{ title: 'loads', status: 'expected' }], [{ message: 'globalSetup threw' }]) } }).code).toBe(1)
  })

  it('a failed build fails without running the suites', () => {
    const r = run({ build: { status: 2 } })
    expect(r.code).toBe(1)
    expect(r.lines).toEqual(['build: failed (build exited with code 2)', '0 passed, 1 failed, 0 skipped'])
  })

  it('training uses /usr/bin/python3 (what .ci/run installs PyTorch for) even when $PYTHON has no PyTorch', () => {
    const r = run({ env: { PYTHON: '/venv/bin/python' }, torch: { '/usr/bin/python3': true, '/venv/bin/python': false } })
    expect(r.lines).toContain('training: 2 passed, 0 failed, 0 skipped')
  })

  it('without PyTorch, training tests are skipped with the reason, or fail under REQUIRE_PYTORCH=1 (.ci/run)', () => {
    const skipped = run({ torch: {} })
    expect(skipped.code).toBe(0)
    expect(skipped.lines).toContain('training: 0 passed, 0 failed, 2 skipped')
    expect(skipped.lines.some((l) => /^ {2}skipped: all 2 training tests — no PyTorch for \/usr\/bin\/python3, python3/.test(l))).toBe(true)
    const required = run({ torch: {}, env: { REQUIRE_PYTORCH: '1' } })
    expect(required.code).toBe(1)
    expect(required.lines).toContain('training: 0 passed, 1 failed, 0 skipped')
  })

  it('training: a failure, fewer tests run than declared, or a non-zero exit fail', () => {
    const failing = run({ training: { exit: { status: 1 }, output: 'test_a (m.A.test_a) ... FAIL\ntest_b (m.A.test_b) ... ok\nRan 2 tests in 1s\n\nFAILED (failures=1)\n' } })
    expect(failing.lines).toContain('training: 1 passed, 1 failed, 0 skipped')
    const short = run({ training: { output: 'test_a (m.A.test_a) ... ok\nRan 1 test in 1s\n\nOK\n' } })
    expect(short.code).toBe(1)
    expect(short.lines).toContain('  FAILED: 1 of 2 declared tests did not run')
    const crashed = run({ training: { exit: { status: null, signal: 'SIGKILL' }, output: TRAINING_OK } })
    expect(crashed.code).toBe(1)
    expect(crashed.lines).toContain('  FAILED: unittest was interrupted (SIGKILL)')
  })
})

describe('.only is forbidden in both runners, everywhere (not only where CI is set)', () => {
  it('every vitest project sets allowOnly: false', () => {
    const projects = (vitestConfig as { test: { projects: { test: { name: string; allowOnly?: boolean } }[] } }).test.projects
    expect(projects.map((p) => [p.test.name, p.test.allowOnly])).toEqual([['renderer', false], ['main', false]])
  })

  it('playwright sets forbidOnly: true', async () => {
    // a computed path: the e2e config belongs to tsconfig.e2e.json, not this project's type check
    const file = join(import.meta.dirname, '../..', 'playwright.config.ts')
    const { default: config } = (await import(file)) as { default: { forbidOnly?: boolean } }
    expect(config.forbidOnly).toBe(true)
  })
})
