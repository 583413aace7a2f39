/**
 * The active view registers a snapshot getter here; the Export component asks it for the snapshot when the
 * user exports (so nothing is composed until then).
 */
import type { ExportSnapshot } from '../lib/export'

export class ExportHub {
  source = $state.raw<(() => ExportSnapshot | null) | null>(null)

  /** Register the view's getter; returns the unregister function (call it on teardown). */
  register(getter: () => ExportSnapshot | null): () => void {
    this.source = getter
    return () => {
      if (this.source === getter) this.source = null
    }
  }

  snapshot(): ExportSnapshot | null {
    return this.source?.() ?? null
  }
}
