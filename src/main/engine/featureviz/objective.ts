/** Feature-visualization objectives (lucent-style split: objective / parameterization / transforms). */
import type { BatchObjective } from '../classifier'

/** Ascend on representation coordinate `feature` for every image of the batch (optionally with fake-ReLU). */
export function featureObjective(feature: number, batch: number, fakeRelu: boolean): BatchObjective {
  return { kind: 'feature', indices: new Array<number>(batch).fill(feature), ...(fakeRelu ? { fakeRelu: true } : {}) }
}
