/**
 * `npm start` (after the build): the desktop app, or browser mode where Electron cannot run. The choice and its
 * messages are in start-mode.ts; browser mode is browser-mode.ts, the same code as `npm run serve`.
 */
import { resolve } from 'node:path'
import { announceAndStopOnSignal, startBrowserMode } from './browser-mode'
import { findElectron } from './electron-binary'
import { launchDesktop, openInBrowser, runStart } from './start-mode'

const appDir = resolve(import.meta.dirname, '../..')

const result = await runStart({
  argv: process.argv.slice(2),
  env: process.env,
  platform: process.platform,
  findElectron: () => findElectron(appDir),
  launchDesktop: (binary, args) => launchDesktop(binary, args, { appDir }),
  async launchBrowser(args, open) {
    const mode = await startBrowserMode(args, import.meta.dirname)
    announceAndStopOnSignal(mode)
    if (open && openInBrowser(mode.url, process.platform, process.env)) console.log('Asked your default browser to open it (if nothing opens, copy the URL above).')
  },
  log: (line) => console.log(line)
})
if (result.mode !== 'browser') process.stdout.write('', () => process.exit(result.exit))
