#!/usr/bin/env node
// `npm run dist`: installers with electron-builder (dmg / nsis / AppImage + deb per electron-builder.json) for the
// current platform; extra arguments go to electron-builder (e.g. `npm run dist -- --linux deb`).
// electron-builder is fetched by npx rather than listed as a devDependency: one of its dependencies
// (electron-winstaller) has an install script that this project's strict-allow-scripts policy refuses in `npm ci`,
// and it downloads Electron itself — so it needs a connected machine anyway.
import { spawnSync } from 'node:child_process'

const result = spawnSync(
  'npx',
  ['--yes', '--package=electron-builder@26.17.0', '--', 'electron-builder', '--config', 'electron-builder.json', ...process.argv.slice(2)],
  { stdio: 'inherit', shell: process.platform === 'win32', env: { ...process.env, npm_config_strict_allow_scripts: 'false' } }
)
process.exit(result.status ?? 1)
