/**
 * True labels of images, for whatever pair is loaded. A sample photo carries labels per dataset
 * (samples.json `labels: {"cifar10": "cat", "imagenette": "church"}`) and/or one legacy `label` (a class name,
 * matched by name against the model's classes); the user can pick a label per image and dataset from the strip
 * ("unknown" included, which overrides a sample's label). A label is resolved against one model's classes: a class
 * index or unknown.
 */
import type { ModelInfo } from '../../../shared/model-format'

/** Dataset key → class name. ANY_DATASET: a class name for whichever model has a class of that name. */
export type Labels = Readonly<Record<string, string>>
export const ANY_DATASET = '*'

/** Known dataset keys, in the order they are looked for in a model card's free-text `training.dataset`. */
const KNOWN_DATASETS = ['imagewoof', 'imagenette', 'cifar100', 'cifar10', 'imagenet'] as const

/**
 * The dataset key of a model: a known key found in `training.dataset` ("CIFAR-10 (development JPEGs…)" →
 * "cifar10"), else that text's first word, lowercased, letters and digits only.
 */
export function datasetKey(model: Pick<ModelInfo, 'training'>): string {
  const squashed = model.training.dataset.toLowerCase().replace(/[^a-z0-9]/g, '')
  const known = KNOWN_DATASETS.find((k) => squashed.includes(k))
  if (known) return known
  return (model.training.dataset.toLowerCase().split(/\s+/)[0] ?? '').replace(/[^a-z0-9]/g, '') || 'unknown'
}

export type LabelSource = 'sample' | 'user'

export interface ResolvedLabel {
  index: number
  name: string
  source: LabelSource
}

const classIndex = (classes: readonly string[], name: string): number => {
  const lower = name.toLowerCase()
  return classes.findIndex((c) => c.toLowerCase() === lower)
}

/**
 * One image's true class for `model`: the user's pick for the model's dataset (null there = "unknown", which wins),
 * else the image's label for that dataset, else its dataset-agnostic label, else any of its labels that names one of
 * the model's classes. Null when unknown.
 */
export function resolveLabel(
  image: { labels: Labels; picked: Readonly<Record<string, string | null>> },
  model: Pick<ModelInfo, 'training' | 'classes'> | undefined
): ResolvedLabel | null {
  if (!model) return null
  const key = datasetKey(model)
  if (key in image.picked) {
    const name = image.picked[key]
    const index = name === null ? -1 : classIndex(model.classes, name)
    return index >= 0 ? { index, name: model.classes[index], source: 'user' } : null
  }
  const candidates = [image.labels[key], image.labels[ANY_DATASET], ...Object.values(image.labels)]
  for (const name of candidates) {
    if (name === undefined) continue
    const index = classIndex(model.classes, name)
    if (index >= 0) return { index, name: model.classes[index], source: 'sample' }
  }
  return null
}

/** A sample's labels from samples.json: `labels` per dataset plus the legacy `label` as dataset-agnostic. */
export function sampleLabels(sample: { label: string | null; labels?: Readonly<Record<string, string>> }): Labels {
  return { ...(sample.label ? { [ANY_DATASET]: sample.label } : {}), ...(sample.labels ?? {}) }
}

/** Whether a label set names one of the model's classes (the gallery's "suits this pair"). */
export const suits = (labels: Labels, model: Pick<ModelInfo, 'training' | 'classes'> | undefined): boolean =>
  resolveLabel({ labels, picked: {} }, model) !== null
