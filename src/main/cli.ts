/**
 * Headless CLI entry (`npm run lab -- <command>`, `npm run bench`), built to out/main/cli.js. All logic is in
 * src/main/cli/; see docs/cli.md.
 */
import { resolve } from 'node:path'
import { runCli } from './cli/main'

// `npm run` starts scripts in the project root; INIT_CWD is where the user typed the command, so relative paths
// (images, --out, --data, --models-dir) mean what they meant there. Models default to the project's own folder.
const projectRoot = resolve(import.meta.dirname, '../..')
if (process.env.INIT_CWD) process.chdir(process.env.INIT_CWD)

const code = await runCli(
  process.argv.slice(2),
  {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text)
  },
  { defaultModelsDir: resolve(projectRoot, 'resources/models') }
)
// flush stdout (a pipe writes asynchronously) before leaving; exit explicitly so no stray handle keeps the CLI alive
process.stdout.write('', () => process.exit(code))
