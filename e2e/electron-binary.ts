/** Find the Electron binary WITHOUT require('electron') (which tries to download it and throws offline). */
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

export function findElectron(): { ok: true; path: string } | { ok: false; reason: string } {
  const env = process.env.ELECTRON_EXEC_PATH
  if (env) return existsSync(env) ? { ok: true, path: env } : { ok: false, reason: `ELECTRON_EXEC_PATH=${env} does not exist` }
  let dir: string
  try {
    dir = dirname(createRequire(import.meta.url).resolve('electron/package.json'))
  } catch {
    return { ok: false, reason: 'the electron package is not installed' }
  }
  const txt = join(dir, 'path.txt')
  if (!existsSync(txt)) return { ok: false, reason: `Electron binary not downloaded (${txt} missing; run \`npx install-electron\` where the network allows)` }
  const exe = join(process.env.ELECTRON_OVERRIDE_DIST_PATH ?? join(dir, 'dist'), readFileSync(txt, 'utf8').trim())
  return existsSync(exe) ? { ok: true, path: exe } : { ok: false, reason: `Electron binary missing at ${exe}` }
}
