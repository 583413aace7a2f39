/** The Electron binary, found without require('electron') (which tries to download it): src/main/electron-binary.ts. */
import { findElectron as find, type ElectronBinary } from '../src/main/electron-binary'

export function findElectron(): ElectronBinary {
  return find(import.meta.dirname)
}
