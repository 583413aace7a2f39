#!/usr/bin/env node
// `npm test`: build, then every test runner; one line per runner, each skipped test with its reason, and a final
// total line `N passed, N failed, N skipped` (what CI reads). The line cannot hide a failure: a runner's non-zero
// exit, a missing or unreadable report, an interrupted run and tests that did not run all count as failures, each
// named. `.only` is forbidden in both runners' configs. Tested by test/scripts/test-all.test.ts (runners faked).
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')

/** What a runner's exit says on its own: null when it exited 0. */
export function exitProblem(name, exit) {
  if (exit.signal) return `${name} was interrupted (${exit.signal})`
  if (exit.status === 130) return `${name} was interrupted (exit code 130)`
  if (exit.status === null || exit.status === undefined) return `${name} did not run (${exit.error ?? 'no exit status'})`
  return exit.status === 0 ? null : `${name} exited with code ${exit.status}`
}

function readReport(file) {
  if (!existsSync(file)) return { error: `no report (${file})` }
  try {
    return { report: JSON.parse(readFileSync(file, 'utf8')) }
  } catch (error) {
    return { error: `report unreadable, truncated? (${file}: ${error.message})` }
  }
}

/** A summary: counts, problems (each also counted as one failure unless its tests are already counted), skips with reasons. */
function summary() {
  return { passed: 0, failed: 0, skipped: 0, problems: [], failures: [], skips: [] }
}

/** vitest's JSON report (jest-compatible) and exit. Tests still pending (interrupted) are failures. */
export function summarizeVitest(file, exit, root = ROOT) {
  const s = summary()
  const { report, error } = readReport(file)
  if (error) s.problems.push(error)
  for (const result of report?.testResults ?? []) {
    const where = relative(root, result.name)
    if (result.status === 'failed' && result.message) s.problems.push(`${where}: ${result.message.split('\n')[0]}`)
    for (const t of result.assertionResults ?? []) {
      const name = `${where} › ${t.fullName}`
      if (t.status === 'passed') s.passed++
      else if (t.status === 'failed') (s.failed++, s.failures.push(name))
      else if (t.status === 'skipped' || t.status === 'todo') (s.skipped++, s.skips.push(`${name} — ${t.status === 'todo' ? 'todo' : 'skipped by its condition (the title says when it runs)'}`))
      else (s.failed++, s.failures.push(`${name} (did not finish: ${t.status})`))
    }
  }
  if (report && report.success === false && s.failed === 0 && !s.problems.length) s.problems.push('errors outside tests (see vitest output above)')
  const exitNote = exitProblem('vitest', exit)
  if (exitNote && (s.failed === 0 || exit.signal || exit.status === 130)) s.problems.push(exitNote)
  s.failed += s.problems.length
  return s
}

function* playwrightTests(suite, titles = []) {
  const path = suite.title ? [...titles, suite.title] : titles
  for (const spec of suite.specs ?? []) for (const test of spec.tests ?? []) yield { test, name: [...path, spec.title].join(' › '), file: spec.file }
  for (const child of suite.suites ?? []) yield* playwrightTests(child, path)
}

/** Playwright's JSON report and exit. A test that was meant to run but did not (interrupted, not reached) fails. */
export function summarizeE2e(file, exit) {
  const s = summary()
  const { report, error } = readReport(file)
  if (error) s.problems.push(error)
  for (const { test, name } of report ? (report.suites ?? []).flatMap((suite) => [...playwrightTests(suite)]) : []) {
    const full = `[${test.projectName}] ${name}`
    const last = test.results?.at(-1)?.status
    if (test.status === 'expected' || test.status === 'flaky') {
      if (test.expectedStatus === 'skipped') {
        s.skipped++
        const why = test.annotations?.find((a) => a.type === 'skip' || a.type === 'fixme')?.description
        s.skips.push(`${full} — ${why || 'skipped without a reason'}`)
      } else s.passed++
    } else if (test.status === 'unexpected') (s.failed++, s.failures.push(full))
    else if (test.expectedStatus === 'skipped') {
      s.skipped++
      const why = test.annotations?.find((a) => a.type === 'skip' || a.type === 'fixme')?.description
      s.skips.push(`${full} — ${why || 'skipped without a reason'}`)
    } else (s.failed++, s.failures.push(`${full} (did not run${last ? `: ${last}` : ''})`))
  }
  for (const e of report?.errors ?? []) s.problems.push(`error outside tests: ${(e.message ?? String(e)).split('\n')[0]}`)
  const exitNote = exitProblem('playwright', exit)
  if (exitNote && (s.failed === 0 || exit.signal || exit.status === 130)) s.problems.push(exitNote)
  s.failed += s.problems.length
  return s
}

/** unittest -v output: one line per test ("... ok", "... skipped 'why'", "... FAIL", "... ERROR"), "Ran N tests". */
export function summarizeTraining(output, exit, declared) {
  const s = summary()
  // a test with a docstring prints it on a line of its own before " ... ok"; what a test writes to stderr lands
  // between " ... " and the verdict, which then starts a line of its own
  const verdict = "(ok|FAIL|ERROR|skipped(?: '(.*)')?|expected failure|unexpected success)"
  const lines = [...output.matchAll(new RegExp(`^test_\\w+ \\(([\\w.]+)\\)[\\s\\S]*?(?: \\.\\.\\. |\\n)${verdict}$`, 'gm'))]
  for (const [, full, status, why] of lines) {
    if (status === 'ok' || status === 'expected failure') s.passed++
    else if (status.startsWith('skipped')) (s.skipped++, s.skips.push(`${full} — ${why ?? 'no reason given'}`))
    else (s.failed++, s.failures.push(`${full} (${status})`))
  }
  const ran = Number(/^Ran (\d+) tests?/m.exec(output)?.[1] ?? NaN)
  if (!Number.isFinite(ran)) s.problems.push('no unittest summary ("Ran N tests")')
  else if (ran !== lines.length) s.problems.push(`unittest ran ${ran} tests but reported ${lines.length}`)
  if (Number.isFinite(ran) && ran < declared) s.problems.push(`${declared - ran} of ${declared} declared tests did not run`)
  const exitNote = exitProblem('unittest', exit)
  if (exitNote && (s.failed === 0 || exit.signal || exit.status === 130)) s.problems.push(exitNote)
  s.failed += s.problems.length
  return s
}

/** The interpreter .ci/run installs PyTorch for comes first; $PYTHON and python3 are fallbacks for other machines. */
export function pythonCandidates(env, exists = existsSync) {
  return [...new Set([exists('/usr/bin/python3') ? '/usr/bin/python3' : null, env.PYTHON, 'python3'].filter(Boolean))]
}

function defaultExec(command, args, { env, capture }) {
  const result = spawnSync(command, args, { cwd: ROOT, stdio: capture ? 'pipe' : 'inherit', encoding: 'utf8', env: { ...process.env, ...env } })
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`
  if (capture && args[0] !== '-c') process.stdout.write(output) // the training tests' own report, as they ran
  return { status: result.status, signal: result.signal, error: result.error?.message, output }
}

/**
 * Runs everything and returns the exit code. `exec(command, args, { env, capture })` → { status, signal, output }
 * is injected by the tests; the report paths too.
 */
export function runAll({
  root = ROOT,
  exec = defaultExec,
  log = (line) => console.log(line),
  env = process.env,
  vitestReport = join(root, 'test-results', 'vitest.json'),
  e2eReport = join(root, 'e2e', '.cache', 'results.json'),
  trainingTests = join(root, 'training', 'test_pipeline.py'),
  pythonExists = existsSync
} = {}) {
  const bin = (name) => join(root, 'node_modules', '.bin', name)
  // always build: ~5 s, and a stale out/ would test old code (the e2e suite runs the built renderer and worker)
  const build = exec(bin('electron-vite'), ['build', '--logLevel', 'warn'], { env: {} })
  const buildProblem = exitProblem('build', build)
  if (buildProblem) {
    log(`build: failed (${buildProblem})`)
    log('0 passed, 1 failed, 0 skipped')
    return 1
  }

  rmSync(vitestReport, { force: true })
  rmSync(e2eReport, { force: true })
  const results = []
  // REQUIRE_BUILD: tests that use the built worker must not skip here
  const vitestExit = exec(bin('vitest'), ['run', '--reporter=default', '--reporter=json', `--outputFile=${vitestReport}`], { env: { REQUIRE_BUILD: '1' } })
  results.push(['vitest', summarizeVitest(vitestReport, vitestExit, root)])
  // after Ctrl+C, the remaining runners are not started (and count as failed: they did not run)
  const interrupted = (exit) => exit.signal === 'SIGINT' || exit.status === 130
  if (interrupted(vitestExit)) results.push(['e2e', notStarted('playwright')])
  else {
    const e2eExit = exec(bin('playwright'), ['test'], { env: {} })
    results.push(['e2e', summarizeE2e(e2eReport, e2eExit)])
    if (interrupted(e2eExit)) results.push(['training', notStarted('the training tests')])
  }
  if (results.length < 3) results.push(['training', runTraining({ exec, env, trainingTests, pythonExists })])

  const total = { passed: 0, failed: 0, skipped: 0 }
  log('')
  for (const [name, s] of results) {
    log(`${name}: ${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped`)
    for (const problem of s.problems) log(`  FAILED: ${problem}`)
    for (const failure of s.failures) log(`  failed: ${failure}`)
    for (const skip of s.skips) log(`  skipped: ${skip}`)
    total.passed += s.passed
    total.failed += s.failed
    total.skipped += s.skipped
  }
  log(`${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`)
  return total.failed ? 1 : 0
}

function notStarted(name) {
  const s = summary()
  s.problems.push(`${name} did not run: the run was interrupted`)
  s.failed = 1
  return s
}

function runTraining({ exec, env, trainingTests, pythonExists }) {
  const declared = (readFileSync(trainingTests, 'utf8').match(/^ {4}def test_/gm) ?? []).length
  const tried = []
  for (const python of pythonCandidates(env, pythonExists)) {
    const probe = exec(python, ['-c', 'import torch, numpy, PIL'], { env: {}, capture: true })
    if (probe.status === 0) {
      const run = exec(python, ['-m', 'unittest', '-v', 'training/test_pipeline.py'], { env: {}, capture: true })
      return summarizeTraining(run.output ?? '', run, declared)
    }
    tried.push(python)
  }
  const s = summary()
  const why = `no PyTorch for ${tried.join(', ')} (install python3-torch python3-numpy python3-pil)`
  if (env.REQUIRE_PYTORCH === '1') {
    s.problems.push(`REQUIRE_PYTORCH=1 but ${why}`)
    s.failed = 1
  } else {
    s.skipped = declared
    s.skips.push(`all ${declared} training tests — ${why}`)
  }
  return s
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exit(runAll())
