/**
 * What a view needs to know about the current image before an attack: its true class for the pair (the strip's
 * label) and each model's prediction, and from them the class the attack treats as true and a target that is
 * neither. Every substitution is stated, so a result never silently rests on an assumed label.
 */
import type { ModelInfo } from '../../../shared/model-format'
import { chooseTarget } from '../lib/targets'
import type { ResolvedLabel } from '../lib/labels'
import type { AttackForm } from './attack.svelte'
import type { ImagesState, LoadedImage } from './images.svelte'
import { CurrentPredictions } from './predictions.svelte'

export interface ImageTruth {
  label: ResolvedLabel | null
  /** Each model's top-1 on the image (empty when the predictions could not be computed). */
  predicted: number[]
}

export async function imageTruth(images: ImagesState, predictions: CurrentPredictions, image: LoadedImage, models: readonly ModelInfo[]): Promise<ImageTruth> {
  const label = images.labelFor(image, models[0])
  const preds = await predictions.forImage(images, image, models)
  const top = predictions.top1s(image, models)
  return { label, predicted: preds && top ? models.map((m) => top[m.id]).filter((i) => i !== undefined) : [] }
}

/** How the true class of a run was decided, for the screen ("true class: cat (the sample's label)"). */
export function trueClassText(form: Pick<AttackForm, 'trueClass'>, truth: ImageTruth | null, classes: readonly string[]): { text: string; assumed: boolean } {
  if (form.trueClass !== null) return { text: `true class: ${classes[form.trueClass] ?? form.trueClass} (set in the parameters)`, assumed: false }
  if (truth?.label) return { text: `true class: ${truth.label.name} (${truth.label.source === 'sample' ? "the sample's label" : 'your label'})`, assumed: false }
  return { text: "true class: unknown — each model's own prediction was used (pick the class under the thumbnail)", assumed: true }
}

/**
 * The form a single-image attack runs with: an unset true class becomes the image's label when known; a targeted
 * attack's target moves off the true class and the models' predictions. `notes` says what changed.
 */
export function attackFormFor(form: AttackForm, truth: ImageTruth | null, classes: readonly string[]): { form: AttackForm; notes: string[] } {
  const trueClass = form.trueClass ?? truth?.label?.index ?? null
  const notes: string[] = []
  let targetClass = form.targetClass
  if (form.targeted && truth) {
    const choice = chooseTarget(classes, form.targetClass ?? 0, { trueClass: trueClass, predicted: truth.predicted })
    targetClass = choice.index
    if (choice.note) notes.push(choice.note)
  }
  return { form: { ...form, trueClass, targetClass }, notes }
}
