/**
 * Installers cannot be built here (electron-builder downloads Electron, and one of its dependencies has an install
 * script our strict-allow-scripts policy refuses), so the configuration itself is checked.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { PNG } from 'pngjs'
import { describe, expect, it } from 'vitest'

const root = resolve(import.meta.dirname, '../..')
const config = JSON.parse(readFileSync(resolve(root, 'electron-builder.json'), 'utf8'))
const pkg = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8'))

describe('electron-builder configuration', () => {
  it('has an app id and product name', () => {
    expect(config.appId).toMatch(/^[a-z][a-z0-9-]*(\.[a-z0-9-]+)+$/)
    expect(config.productName).toBe('Robust Lens')
  })

  it('targets dmg on macOS, nsis on Windows, AppImage and deb on Linux', () => {
    expect(config.mac.target).toContain('dmg')
    expect(config.win.target).toContain('nsis')
    expect(config.linux.target).toEqual(expect.arrayContaining(['AppImage', 'deb']))
  })

  it('keeps the wasm binaries outside the asar archive, and they exist where the pattern points', () => {
    expect(config.asar).toBe(true)
    expect(config.asarUnpack).toContain('node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm')
    expect(existsSync(resolve(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm'))).toBe(true)
  })

  it('packs only the target platform\'s ONNX Runtime binaries, unpacked from the asar next to their shared library', () => {
    // onnxruntime-node carries darwin, linux and win32 binaries (~290 MB); each installer keeps its own platform's only
    const bin = resolve(root, 'node_modules/onnxruntime-node/bin')
    const napiDirs = readdirSync(bin)
    expect(napiDirs.length).toBeGreaterThan(0)
    const shipped = new Set(napiDirs.flatMap((napi) => readdirSync(resolve(bin, napi))))
    expect([...shipped].sort()).toEqual(['darwin', 'linux', 'win32'])
    const targets: Record<string, string> = { mac: 'darwin', win: 'win32', linux: 'linux' }
    for (const [key, platform] of Object.entries(targets)) {
      const files = (config[key].files ?? []) as string[]
      for (const other of shipped) {
        const exclusion = `!node_modules/onnxruntime-node/bin/*/${other}/**`
        if (other === platform) expect(files, `${key} keeps its ${platform} binaries`).not.toContain(exclusion)
        else expect(files, `${key} leaves out the ${other} binaries`).toContain(exclusion)
      }
      expect(files.every((f) => f.startsWith('!')), `${key}'s files only exclude (they are added to the top-level files)`).toBe(true)
    }
    expect(config.asarUnpack).toContain('node_modules/onnxruntime-node/bin/**')
    // the binding's own require path, for this machine: the pattern above must cover where the package looks
    const binding = readFileSync(resolve(root, 'node_modules/onnxruntime-node/dist/binding.js'), 'utf8')
    const napi = /\.\.\/bin\/(napi-v\d+)\/\$\{process\.platform\}\/\$\{process\.arch\}\/onnxruntime_binding\.node/.exec(binding)?.[1]
    expect(napi, 'binding.js requires bin/napi-vN/<platform>/<arch>/onnxruntime_binding.node').toBeDefined()
    expect(existsSync(resolve(bin, napi!, process.platform, process.arch, 'onnxruntime_binding.node'))).toBe(true)
  })

  it('keeps the CUDA download of onnxruntime-node off (its postinstall is denied; the CPU binaries are in the package)', () => {
    expect(pkg.allowScripts['onnxruntime-node']).toBe(false)
    expect(pkg.dependencies['onnxruntime-node']).toMatch(/^\d+\.\d+\.\d+$/) // exact: the binaries' ABI is tested against it
  })

  it('ships models and samples as extra resources (plain files next to the asar), where paths.ts looks for them', () => {
    const extra = config.extraResources as { from: string; to: string }[]
    expect(extra).toEqual(expect.arrayContaining([expect.objectContaining({ from: 'resources/models', to: 'models' }), expect.objectContaining({ from: 'resources/samples', to: 'samples' })]))
    const paths = readFileSync(resolve(root, 'src/main/paths.ts'), 'utf8')
    expect(paths).toContain("join(resources, 'models')")
    expect(paths).toContain("join(resources, 'samples')")
  })

  it('packs the built app (out/) and package.json, whose main is the built entry', () => {
    expect(config.files).toEqual(expect.arrayContaining(['out/**/*', 'package.json']))
    expect(pkg.main).toBe('./out/main/index.js')
  })

  it('points every platform at an icon that exists and is large enough', () => {
    for (const icon of [config.icon, config.mac.icon, config.win.icon]) {
      const png = PNG.sync.read(readFileSync(resolve(root, icon)))
      expect(png.width).toBeGreaterThanOrEqual(256)
      expect(png.width).toBe(png.height)
    }
    for (const n of [16, 32, 48, 128, 256, 512]) expect(existsSync(resolve(root, config.linux.icon, `${n}x${n}.png`))).toBe(true)
    expect(PNG.sync.read(readFileSync(resolve(root, config.icon))).width).toBeGreaterThanOrEqual(512) // dmg needs ≥ 512
  })

  it('flips the Electron fuses that turn the app binary into a general-purpose Node (issue 11 #10)', () => {
    // ELECTRON_RUN_AS_NODE, NODE_OPTIONS and --inspect would let any process that can start the app run code in it;
    // asar integrity + only-load-from-asar stop a modified app folder next to the binary from being loaded
    expect(config.electronFuses).toEqual({
      runAsNode: false,
      enableCookieEncryption: true,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true
    })
    // only-load-from-asar needs the app packed into an asar archive
    expect(config.asar).toBe(true)
  })

  it('is what `npm run dist` uses', () => {
    expect(pkg.scripts.dist).toContain('scripts/dist.mjs')
    const dist = readFileSync(resolve(root, 'scripts/dist.mjs'), 'utf8')
    expect(dist).toContain("'electron-builder', '--config', 'electron-builder.json'")
  })
})
