/**
 * What App hands to every view (one instance each for the whole app). Only images and models are required, so a
 * view can also be embedded elsewhere (the exercises mode) without persistence or export.
 */
import type { ImagesState } from './images.svelte'
import type { ModelsState } from './models.svelte'
import type { SettingsState } from './settings.svelte'
import type { ExportHub } from './export.svelte'

export interface ViewProps {
  images: ImagesState
  models: ModelsState
  /** Present: the view restores its last parameters from settings.views[view] and saves them back. */
  settings?: SettingsState
  /** Present: the view registers its export snapshot here while it is shown. */
  exporter?: ExportHub
  /** Why Run is disabled from outside (e.g. an exercise waiting for the user's prediction). */
  blocked?: string | null
  /** Called after a run finished on every model. */
  onfinished?: () => void
}
