import { defineConfig } from 'vitest/config'
import { svelte } from '@sveltejs/vite-plugin-svelte'
import { svelteTesting } from '@testing-library/svelte/vite'

// a stray `.only` would silently drop every other test from the run: an error everywhere, not only where CI is set
// (set per project: projects do not inherit the root's test options)
const allowOnly = false

export default defineConfig({
  test: {
    projects: [
      {
        plugins: [svelte(), svelteTesting()],
        test: { name: 'renderer', allowOnly, environment: 'happy-dom', include: ['test/renderer/**/*.test.ts'] }
      },
      {
        test: {
          name: 'main',
          allowOnly,
          environment: 'node',
          include: ['test/main/**/*.test.ts', 'test/shared/**/*.test.ts', 'test/scripts/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          // lets vi.mock('electron') reach electron-store's own import (toolchain.md §7)
          server: { deps: { inline: ['electron-store'] } }
        }
      }
    ]
  }
})
