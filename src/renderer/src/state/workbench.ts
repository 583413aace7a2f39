/**
 * What App hands to every view (one instance each for the whole app). Only images and models are required, so a
 * view can also be embedded elsewhere (the exercises mode) without persistence or export.
 */
import type { ImagesState } from './images.svelte'
import type { ModelsState } from './models.svelte'
import type { SettingsState } from './settings.svelte'
import type { ExportHub } from './export.svelte'
import type { CurrentPredictions } from './predictions.svelte'
import type { SampleRanking } from './sample-ranking.svelte'
import type { MethodResult } from '../../../shared/jobs'
import type { ModelInfo } from '../../../shared/model-format'

/** One model's result of a finished run, handed to `onfinished` (the exercises check their promise against it). */
export interface FinishedSide {
  role: 'standard' | 'robust'
  model: ModelInfo
  result: MethodResult
}

export interface ViewProps {
  images: ImagesState
  models: ModelsState
  /** Present: the view restores its last parameters from settings.views[view] and saves them back. */
  settings?: SettingsState
  /** Present: the view registers its export snapshot here while it is shown. */
  exporter?: ExportHub
  /** Why Run is disabled from outside (e.g. an exercise waiting for the user's prediction). */
  blocked?: string | null
  /** Called after a run finished on every model, with each model's result. */
  onfinished?: (results: FinishedSide[]) => void
  /** The pair's predictions on the current image (shared with the top-5); views create their own when absent. */
  predictions?: CurrentPredictions
  /** Which samples the pair gets right (the default images). */
  ranking?: SampleRanking
}
