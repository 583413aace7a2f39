/**
 * The CLI's two failure kinds and their exit codes: a bad command line (2, with usage on stderr) and an input that
 * cannot be used — unreadable, corrupt, too large, wrong format (1, with a message naming the file).
 */
export class UsageError extends Error {
  readonly exitCode = 2
  constructor(message: string) {
    super(message)
    this.name = 'UsageError'
  }
}

export class InputError extends Error {
  readonly exitCode = 1
  constructor(message: string) {
    super(message)
    this.name = 'InputError'
  }
}
