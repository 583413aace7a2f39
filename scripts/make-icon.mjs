#!/usr/bin/env node
// Draws the app icon (a lens: blue ring, orange half-disc inside — standard vs robust) with pngjs and writes
// resources/icons/icon.png (1024 px, for dmg/nsis/AppImage) plus the Linux sizes as resources/icons/<n>x<n>.png.
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { PNG } from 'pngjs'

const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'resources', 'icons')
mkdirSync(out, { recursive: true })

function draw(size) {
  const png = new PNG({ width: size, height: size })
  const c = size / 2
  const samples = 4 // supersampling for smooth edges
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let r = 0, g = 0, b = 0, a = 0
      for (let sy = 0; sy < samples; sy++) {
        for (let sx = 0; sx < samples; sx++) {
          const px = (x + (sx + 0.5) / samples - c) / c
          const py = (y + (sy + 0.5) / samples - c) / c
          const d = Math.hypot(px, py)
          let col = null
          if (d <= 0.92 && d >= 0.74) col = [37, 99, 235] // ring
          else if (d < 0.74) col = px < 0 ? [241, 245, 249] : [249, 115, 22] // lens halves
          else if (d > 0.92 && Math.abs(px - py) < 0.16 && px > 0.55 && px < 0.98 && py > 0.55) col = [30, 64, 175] // handle
          if (col) { r += col[0]; g += col[1]; b += col[2]; a += 255 }
        }
      }
      const n = samples * samples
      const i = (y * size + x) * 4
      const cover = a / 255
      png.data[i] = cover ? r / cover : 0
      png.data[i + 1] = cover ? g / cover : 0
      png.data[i + 2] = cover ? b / cover : 0
      png.data[i + 3] = a / n
    }
  }
  return PNG.sync.write(png)
}

writeFileSync(join(out, 'icon.png'), draw(1024))
for (const n of [16, 32, 48, 64, 128, 256, 512]) writeFileSync(join(out, `${n}x${n}.png`), draw(n))
console.log(`icons written to ${out}`)
