import { defineConfig } from '@playwright/test'
import { CHROMIUM_PATH, chromiumArgs } from './e2e/chromium'

export default defineConfig({
  testDir: 'e2e',
  // a stray `test.only` would silently drop every other test: an error everywhere, not only where CI is set
  forbidOnly: true,
  globalSetup: './e2e/global-setup.ts',
  outputDir: 'e2e/.cache/results',
  workers: 1,
  timeout: 60_000,
  expect: { timeout: 20_000 },
  reporter: [['list'], ['json', { outputFile: 'e2e/.cache/results.json' }]],
  use: { headless: true, launchOptions: { executablePath: CHROMIUM_PATH, args: chromiumArgs() } },
  projects: [
    { name: 'renderer-bridge', testIgnore: /(electron|serve|start)\.spec\.ts/ },
    { name: 'browser-mode', testMatch: /(serve|start)\.spec\.ts/ },
    { name: 'electron', testMatch: /electron\.spec\.ts/ }
  ]
})
