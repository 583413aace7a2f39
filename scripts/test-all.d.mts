// Types for test/scripts/test-all.test.ts (the script itself is plain JavaScript, run by `npm test`).
export interface Exit {
  status: number | null
  signal?: NodeJS.Signals | null
  error?: string
  output?: string
}
export interface Summary {
  passed: number
  failed: number
  skipped: number
  problems: string[]
  failures: string[]
  skips: string[]
}
export type Exec = (command: string, args: string[], options: { env: Record<string, string>; capture?: boolean }) => Exit
export function exitProblem(name: string, exit: Exit): string | null
export function summarizeVitest(file: string, exit: Exit, root?: string): Summary
export function summarizeE2e(file: string, exit: Exit): Summary
export function summarizeTraining(output: string, exit: Exit, declared: number): Summary
export function pythonCandidates(env: NodeJS.ProcessEnv, exists?: (path: string) => boolean): string[]
export function runAll(options?: {
  root?: string
  exec?: Exec
  log?: (line: string) => void
  env?: NodeJS.ProcessEnv
  vitestReport?: string
  e2eReport?: string
  trainingTests?: string
  pythonExists?: (path: string) => boolean
}): number
