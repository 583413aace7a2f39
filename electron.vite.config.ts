import { resolve } from 'node:path'
import { defineConfig } from 'electron-vite'
import { svelte } from '@sveltejs/vite-plugin-svelte'

export default defineConfig({
  main: {
    build: {
      rolldownOptions: {
        input: {
          // the desktop app
          index: resolve(import.meta.dirname, 'src/main/index.ts'),
          // browser mode (`npm run serve`) and the headless CLI (`npm run lab`, `npm run bench`): same handlers, same workers
          serve: resolve(import.meta.dirname, 'src/main/serve.ts'),
          cli: resolve(import.meta.dirname, 'src/main/cli.ts'),
          // `npm start`: the desktop app, or browser mode where Electron cannot run
          start: resolve(import.meta.dirname, 'src/main/start.ts')
        }
      }
    }
  },
  preload: {
    // sandboxed preloads must be CommonJS; "type": "module" means the file must be named .cjs
    build: { rolldownOptions: { output: { format: 'cjs', entryFileNames: '[name].cjs' } } }
  },
  renderer: { plugins: [svelte()] }
})
