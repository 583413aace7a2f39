/** Debian's Chromium (apt-get install chromium), never a Playwright browser download (unreachable offline). */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

// --no-sandbox: CI runs as root, where Chromium's own sandbox refuses to start
export const chromiumArgs = (): string[] => [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync'
]
