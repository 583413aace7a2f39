/**
 * `npm run serve`: Robust Lens in a browser, where the desktop shell cannot run (no Electron binary). Same handlers,
 * same compute workers; prints the URL (with its one-time token) to open. All logic is in browser-mode.ts, which
 * `npm start` (start.ts) also uses when it falls back to browser mode.
 *   node out/main/serve.js [--port N] [--workers N] [--threads N] [--backend NAME] [--models DIR] [--samples DIR] [--settings DIR]
 */
import { announceAndStopOnSignal, startBrowserMode } from './browser-mode'

startBrowserMode(process.argv.slice(2), import.meta.dirname).then(announceAndStopOnSignal, (error: unknown) => {
  console.error(`npm run serve: ${(error as Error).message}`)
  process.exit(1)
})
