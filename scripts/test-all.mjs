#!/usr/bin/env node
// `npm test`: build, then every test runner; one plain summary line per runner and a final total line
// `N passed, N failed, N skipped` (what CI reads). Exits non-zero on any failure or missing report.
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const bin = (name) => join(root, 'node_modules', '.bin', name)
const VITEST_REPORT = join(root, 'test-results', 'vitest.json')
const E2E_REPORT = join(root, 'e2e', '.cache', 'results.json')

function run(command, args, env = {}) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } })
  return result.status ?? 1
}

// training/ (PyTorch): Debian's python3 with python3-torch (.ci/run installs it), or $PYTHON
const PYTHON = process.env.PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3')
const TRAINING_TESTS = join(root, 'training', 'test_pipeline.py')

/** unittest's summary ("Ran N tests", then "OK" or "FAILED (failures=F, errors=E, skipped=S)"), echoed as it runs. */
function runTrainingTests() {
  const declared = (readFileSync(TRAINING_TESTS, 'utf8').match(/^ {4}def test_/gm) ?? []).length
  const probe = spawnSync(PYTHON, ['-c', 'import torch, numpy, PIL'], { cwd: root, encoding: 'utf8' })
  if (probe.status !== 0) return { passed: 0, failed: 0, skipped: declared, note: ` (no PyTorch for ${PYTHON}: install python3-torch python3-numpy python3-pil)` }
  const result = spawnSync(PYTHON, ['-m', 'unittest', '-v', 'training/test_pipeline.py'], { cwd: root, encoding: 'utf8' })
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`
  process.stdout.write(output)
  const ran = Number(/^Ran (\d+) tests?/m.exec(output)?.[1] ?? NaN)
  if (!Number.isFinite(ran)) return { passed: 0, failed: 1, skipped: 0, note: ' (no unittest summary)' }
  const count = (key) => Number(new RegExp(`${key}=(\\d+)`).exec(/^(OK|FAILED).*$/m.exec(output)?.[0] ?? '')?.[1] ?? 0)
  const failed = count('failures') + count('errors')
  const skipped = count('skipped')
  return { passed: ran - failed - skipped, failed: failed + (result.status !== 0 && failed === 0 ? 1 : 0), skipped, note: '' }
}

// always build: ~5 s, and a stale out/ would test old code (the e2e suite runs the built renderer and worker)
if (run(bin('electron-vite'), ['build', '--logLevel', 'warn']) !== 0) {
  console.log('build: failed')
  console.log('0 passed, 1 failed, 0 skipped')
  process.exit(1)
}

rmSync(VITEST_REPORT, { force: true })
rmSync(E2E_REPORT, { force: true })
// REQUIRE_BUILD: tests that use the built worker must not skip here
run(bin('vitest'), ['run', '--reporter=default', '--reporter=json', `--outputFile=${VITEST_REPORT}`], { REQUIRE_BUILD: '1' })
run(bin('playwright'), ['test'])
const training = runTrainingTests()

const lines = []
const total = { passed: 0, failed: 0, skipped: 0 }
function add(name, passed, failed, skipped, note = '') {
  lines.push(`${name}: ${passed} passed, ${failed} failed, ${skipped} skipped${note}`)
  total.passed += passed
  total.failed += failed
  total.skipped += skipped
}

if (existsSync(VITEST_REPORT)) {
  const v = JSON.parse(readFileSync(VITEST_REPORT, 'utf8'))
  // errors outside tests (unhandled rejections, failed imports) make `success` false without failing a test
  const extra = v.success === false && v.numFailedTests === 0 ? 1 : 0
  add('vitest', v.numPassedTests, v.numFailedTests + extra, v.numPendingTests + v.numTodoTests, extra ? ' (errors outside tests)' : '')
} else add('vitest', 0, 1, 0, ' (no report)')

if (existsSync(E2E_REPORT)) {
  const report = JSON.parse(readFileSync(E2E_REPORT, 'utf8'))
  const s = report.stats
  const extra = (report.errors ?? []).length ? 1 : 0
  add('e2e', s.expected + s.flaky, s.unexpected + extra, s.skipped, extra ? ' (global errors)' : '')
} else add('e2e', 0, 1, 0, ' (no report)')

add('training', training.passed, training.failed, training.skipped, training.note)

console.log('')
for (const line of lines) console.log(line)
console.log(`${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`)
process.exit(total.failed ? 1 : 0)
