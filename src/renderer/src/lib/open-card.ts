/**
 * Re-open an experiment card: add its images with their crops (the current one first, so it is selected), select its pair, store its parameters as the view's
 * saved parameters (the view restores from there when it is (re)mounted). Returns the view to show and notes
 * about anything that differs from when the card was written (a missing model, other weights).
 */
import { parseCard, dataUrlToBytes } from './export'
import { checkViewRecord } from './view-record'
import type { ImagesState } from '../state/images.svelte'
import type { ModelsState } from '../state/models.svelte'
import type { SettingsState } from '../state/settings.svelte'

export interface OpenedCard {
  view: string
  warnings: string[]
}

export async function openCard(text: string, deps: { images: ImagesState; models: ModelsState; settings: SettingsState }): Promise<OpenedCard> {
  const card = parseCard(text)
  // the parameters first: a card the view would refuse changes nothing (no images added, no pair selected)
  let params: ReturnType<typeof checkViewRecord>
  try {
    params = checkViewRecord(card.view, card.params)
  } catch (error) {
    throw new Error(`not a valid experiment card: ${(error as Error).message}`)
  }
  const warnings: string[] = []
  if (card.pair) {
    if (deps.models.pairs.some((p) => p.id === card.pair)) deps.models.selectPair(card.pair)
    else warnings.push(`model pair ${card.pair} is not installed; showing ${deps.models.pair?.id ?? 'none'}`)
  }
  for (const m of card.models) {
    const installed = deps.models.model(m.id)
    if (!installed) warnings.push(`model ${m.id} is not installed`)
    else if (m.weightsSha256 && installed.weightsSha256 && m.weightsSha256 !== installed.weightsSha256) {
      warnings.push(`model ${m.id} has different weights than when the card was written`)
    }
  }
  const pictures = [...(card.image ? [card.image] : []), ...(card.others ?? [])]
  if (pictures.length > 0) {
    const ids = await deps.images.addBytes(
      pictures.map((p) => ({ name: p.name, bytes: dataUrlToBytes(p.png), source: { kind: 'card' as const }, label: p.label, crop: p.crop }))
    )
    if (ids.length < pictures.length) warnings.push(`${pictures.length - ids.length} of the card's ${pictures.length} images could not be decoded`)
  }
  deps.settings.setViewParams(card.view, params)
  if (card.preset) deps.settings.set({ preset: card.preset })
  return { view: card.view, warnings }
}
