/**
 * Find the Electron binary WITHOUT require('electron'): electron@45 downloads its binary the first time it is
 * required and throws where that is impossible (offline, locked down; toolchain.md §2). Used by `npm start`
 * (start.ts) and the Electron e2e test.
 */
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

/** How to get the binary, for messages. */
export const GET_ELECTRON = 'on a machine that can reach GitHub, `npx install-electron` downloads it'

export type ElectronBinary = { ok: true; path: string } | { ok: false; reason: string }

/** `from`: a file or folder inside the project (module resolution starts there). */
export function findElectron(from: string, env: NodeJS.ProcessEnv = process.env): ElectronBinary {
  const override = env.ELECTRON_EXEC_PATH
  if (override) return existsSync(override) ? { ok: true, path: override } : { ok: false, reason: `ELECTRON_EXEC_PATH=${override} does not exist` }
  let dir: string
  try {
    dir = dirname(createRequire(join(from, 'noop.js')).resolve('electron/package.json'))
  } catch {
    return { ok: false, reason: 'the electron package is not installed' }
  }
  const txt = join(dir, 'path.txt')
  if (!existsSync(txt)) return { ok: false, reason: `the Electron binary is not downloaded (${txt} is missing)` }
  const exe = join(env.ELECTRON_OVERRIDE_DIST_PATH ?? join(dir, 'dist'), readFileSync(txt, 'utf8').trim())
  return existsSync(exe) ? { ok: true, path: exe } : { ok: false, reason: `the Electron binary is missing at ${exe}` }
}
