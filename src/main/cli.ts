/**
 * Headless CLI entry (`npm run lab -- <command>`, `npm run bench`), built to out/main/cli.js. All logic is in
 * src/main/cli/; see docs/cli.md.
 */
import { runCli } from './cli/main'

const code = await runCli(process.argv.slice(2), {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text)
})
// flush stdout (a pipe writes asynchronously) before leaving; exit explicitly so no stray handle keeps the CLI alive
process.stdout.write('', () => process.exit(code))
