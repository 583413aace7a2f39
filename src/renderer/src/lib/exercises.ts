/**
 * The practicum's exercises I–VI and its bonuses (science.md §1) as a guided sequence. Each step names the view,
 * the lab's defaults (224² values; `resolveExercise` carries them to the model's input size per science.md §8 and
 * maps the lab's class targets onto the model's classes), a short prompt, a prediction question, and what to look
 * for after the run.
 */
import type { SaliencyParams } from '../../../shared/jobs'
import type { ModelInfo } from '../../../shared/model-format'
import type { AttackForm } from '../state/attack.svelte'
import type { FeatureVizForm } from '../state/featureviz.svelte'
import type { Role } from './roles'
import { classByName } from './targets'
import { fmt } from './format'
import { labScale } from './eps'

export type ExerciseView = 'saliency' | 'attack' | 'large-eps' | 'featureviz'

export interface Choice {
  id: string
  label: string
}

interface Common {
  id: string
  title: string
  /** The model the lab ran it on (both run here; this one is the focus). */
  focus: Role
  prompt: string
  question: string
  choices: Choice[]
  /** The choice the lab's expected picture supports. */
  expected: string
  lookFor: string
  /** The lab's numbers as the notebook states them (224² inputs). */
  labDefaults: string
}

export interface SaliencyExercise extends Common {
  view: 'saliency'
  params: Partial<Omit<SaliencyParams, 'method'>>
  /** The Saliency view's parameter preset with these numbers (state/saliency.svelte.ts SALIENCY_PRESETS). */
  saliencyPreset: 'lab-vanilla' | 'lab-smoothgrad'
}

export interface AttackExercise extends Common {
  view: 'attack' | 'large-eps'
  /** ε and step in the lab's 224² units (scaled on resolve). */
  lab: { eps: number; stepSize: number; steps: number }
  /** Target class: preferred names for the model's class list, then the lab's index. */
  target: { names: string[]; labIndex: number; labName: string }
  /**
   * For CIFAR-sized inputs (≤ 64×64): the budget to use instead of the RMS-scaled lab ε, and why. The lab's ε 1.25 at
   * 224² scales to ≈ 0.18 at 32², where our small standard model rarely reaches a target class at all, which
   * would teach the opposite of the exercise; CIFAR-10's usual L2 radius 0.5 keeps the change imperceptible.
   */
  smallInput?: { eps: number; stepSize: number; why: string }
  keepIterates: number
}

export interface FeatureVizExercise extends Common {
  view: 'featureviz'
  lab: { eps: number; stepSize: number; steps: number }
  feature: number
  start: FeatureVizForm['start']
  noiseSigma: number
}

export type Exercise = SaliencyExercise | AttackExercise | FeatureVizExercise

const yesNo = (yes: string, no: string): Choice[] => [
  { id: 'yes', label: yes },
  { id: 'no', label: no }
]

export const EXERCISES: readonly Exercise[] = [
  {
    id: 'I',
    title: 'I. Vanilla gradient',
    view: 'saliency',
    focus: 'standard',
    params: { gradient: 'loss', classIndex: null, smoothing: { kind: 'none' } },
    saliencyPreset: 'lab-vanilla',
    prompt: 'The loss gradient ∇ₓ CE(f(x), y) shows which pixels change the loss fastest. The lab displays it signed, per channel, clipped at ±3σ.',
    question: 'Will the standard model\'s gradient look like the object?',
    choices: yesNo('Yes — the object\'s outline stands out', 'No — mostly speckled noise'),
    expected: 'no',
    lookFor: 'The standard model\'s map is speckled, high-frequency noise with little of the object\'s shape. Keep the robust panel in mind for VI.1.',
    labDefaults: 'standard ResNet-18, ∇ₓ CE at the true label, no smoothing (here: each model\'s predicted class unless you pick one)'
  },
  {
    id: 'II',
    title: 'II. SmoothGrad',
    view: 'saliency',
    focus: 'standard',
    params: { gradient: 'loss', classIndex: null, smoothing: { kind: 'smoothgrad', samples: 100, sigma: 0.3, clipNoisy: false } },
    saliencyPreset: 'lab-smoothgrad',
    prompt: 'SmoothGrad averages the gradient over N noisy copies x + σ·n. The lab uses N = 100 and σ = 0.3 (30 % of the [0,1] range).',
    question: 'Compared with exercise I, will the averaged map be clearer?',
    choices: yesNo('Yes — averaging removes much of the noise', 'No — it looks the same'),
    expected: 'yes',
    lookFor: 'The averaged map is smoother and more object-aligned than the vanilla gradient — post-processing the standard model needs. Note the share of noisy pixels clamped out of [0,1].',
    labDefaults: 'N = 100, σ = 0.3 absolute (raw SG, not squared)'
  },
  {
    id: 'III',
    title: 'III. Targeted attack on the standard model',
    view: 'attack',
    focus: 'standard',
    lab: { eps: 1.25, stepSize: 0.5, steps: 20 },
    target: { names: ['cabbage butterfly', 'butterfly', 'insect', 'bird'], labIndex: 324, labName: 'cabbage butterfly' },
    smallInput: { eps: 0.5, stepSize: 0.2, why: 'ε 0.5 is the usual CIFAR-10 L2 radius (≈ 2.3/255 RMS per value, still imperceptible) and the robust model\'s training budget; the RMS-scaled lab ε ≈ 0.18 is too small for this small standard model to reach a target class, so it would not show the effect' },
    keepIterates: 10,
    prompt: 'L2 PGD pushes the image toward a target class within a small ball of radius ε. The lab: targeted, 20 steps, no random start, last iterate.',
    question: 'Will a change you can barely see make the standard model predict the target?',
    choices: yesNo('Yes — it flips to the target', 'No — the prediction holds'),
    expected: 'yes',
    lookFor: 'The adversarial image looks like the original; the amplified perturbation is structured noise, yet p(target) climbs to near 1 within a few steps on the standard model (see the flip step).',
    labDefaults: 'target 324 “cabbage butterfly”, ε 1.25, step 0.5, 20 steps'
  },
  {
    id: 'IV',
    title: 'IV. The same attack on the robust model',
    view: 'attack',
    focus: 'robust',
    lab: { eps: 1.25, stepSize: 0.5, steps: 20 },
    target: { names: ['turtle', 'frog'], labIndex: 3, labName: 'turtle' },
    smallInput: { eps: 0.5, stepSize: 0.2, why: 'ε 0.5 is the usual CIFAR-10 L2 radius (≈ 2.3/255 RMS per value, still imperceptible) and the robust model\'s training budget; the RMS-scaled lab ε ≈ 0.18 is too small for this small standard model to reach a target class, so it would not show the effect' },
    keepIterates: 10,
    prompt: 'Same attack, same budget, now watch the adversarially trained model.',
    question: 'Will the robust model\'s prediction flip to the target?',
    choices: yesNo('Yes, like the standard model', 'Mostly not'),
    expected: 'no',
    lookFor: 'p(target) on the robust model rises slowly and usually stays below p(true); ‖δ‖ reaches the ε budget (the dashed line at 1) without a flip.',
    labDefaults: 'target 3 “turtle” (RIN), ε 1.25, step 0.5, 20 steps'
  },
  {
    id: 'V',
    title: 'V. Large-ε attack on the robust model',
    view: 'large-eps',
    focus: 'robust',
    lab: { eps: 100, stepSize: 5, steps: 20 },
    target: { names: ['primate', 'monkey', 'horse'], labIndex: 5, labName: 'primate' },
    keepIterates: 10,
    prompt: 'With a budget far beyond imperceptible, what does the robust model change to make the image look like the target?',
    question: 'What will the robust model\'s adversarial image look like?',
    choices: [
      { id: 'features', label: 'Features of the target class appear' },
      { id: 'noise', label: 'Unstructured noise' },
      { id: 'same', label: 'Nothing visible changes' }
    ],
    expected: 'features',
    lookFor: 'In the robust model\'s filmstrip, shapes and textures of the target class appear frame by frame; the standard model\'s image turns into noise-like patterns instead.',
    labDefaults: 'target 5 “primate” (RIN), ε 100, step 5, 20 steps'
  },
  {
    id: 'VI.1',
    title: 'VI.1 Robust gradients',
    view: 'saliency',
    focus: 'robust',
    params: { gradient: 'loss', classIndex: null, smoothing: { kind: 'none' } },
    saliencyPreset: 'lab-vanilla',
    prompt: 'Back to the plain loss gradient of exercise I — now compare the two panels.',
    question: 'Will the robust model\'s raw gradient be interpretable without smoothing?',
    choices: yesNo('Yes — aligned with edges and the object', 'No — noisy like the standard one'),
    expected: 'yes',
    lookFor: 'The robust model\'s map follows the object\'s edges and shape without any post-processing; the standard model\'s stays noisy.',
    labDefaults: 'robust model, ∇ₓ CE at the true label (here: each model\'s predicted class unless you pick one)'
  },
  {
    id: 'VI.2',
    title: 'VI.2 Feature visualization',
    view: 'featureviz',
    focus: 'robust',
    lab: { eps: 1000, stepSize: 5, steps: 20 },
    feature: 200,
    start: 'image',
    noiseSigma: 1,
    prompt: 'Ascend on one coordinate r₂₀₀(x) of the representation, starting from your image; ε is so large that only step size and steps matter.',
    question: 'Will the maximised feature show a recognisable pattern on the robust model?',
    choices: yesNo('Yes — a visible, repeated pattern', 'No — nothing recognisable'),
    expected: 'yes',
    lookFor: 'The robust model paints a coherent texture or part into the image; compare with the top-activating images below.',
    labDefaults: 'feature 200, ε 1000, step 5, 20 steps, seed = the images'
  },
  {
    id: 'bonus-I',
    title: 'Bonus I. Feature visualization from noise',
    view: 'featureviz',
    focus: 'robust',
    lab: { eps: 1000, stepSize: 5, steps: 200 },
    feature: 205,
    start: 'noise',
    noiseSigma: 1,
    prompt: 'Start from noise clamp(randn + 0.5, 0, 1) (σ = 1, mostly saturated) and maximise r₂₀₅ for 200 steps.',
    question: 'Will the feature emerge from pure noise?',
    choices: yesNo('Yes', 'No'),
    expected: 'yes',
    lookFor: 'On the robust model a pattern grows out of the noise; the activation rises steadily in the chart.',
    labDefaults: 'feature 205, ε 1000, step 5, 200 steps, seed clamp(randn + 0.5, 0, 1)'
  },
  {
    id: 'bonus-II',
    title: 'Bonus II. Feature visualization on the standard model',
    view: 'featureviz',
    focus: 'standard',
    lab: { eps: 1000, stepSize: 5, steps: 20 },
    feature: 200,
    start: 'image',
    noiseSigma: 1,
    prompt: 'The same feature visualization, on the standard model (the lab\'s notebook fed it the wrong normalization; here each model uses its own).',
    question: 'Will the standard model\'s visualization be as interpretable?',
    choices: yesNo('Yes', 'No — high-frequency patterns'),
    expected: 'no',
    lookFor: 'The standard model reaches a high activation with high-frequency, noise-like changes; the robust model\'s are perceptible shapes.',
    labDefaults: 'standard model, feature 200, ε 1000, step 5, 20 steps'
  }
]

export interface ResolvedAttack {
  patch: Partial<AttackForm>
  targetName: string
  /** What was scaled and mapped, for the screen. */
  notes: string[]
}

/** Carry an attack exercise to a model: scale ε and step (science §8), map the target class. */
export function resolveAttackExercise(ex: AttackExercise, model: ModelInfo | undefined): ResolvedAttack {
  const s = labScale(model)
  const classes = model?.classes ?? []
  const target = classByName(classes, [ex.target.labName, ...ex.target.names], ex.target.labIndex)
  const targetName = classes[target] ?? String(target)
  let eps = Number((ex.lab.eps * s).toPrecision(4))
  let stepSize = Number((ex.lab.stepSize * s).toPrecision(4))
  const notes: string[] = []
  const small = ex.smallInput && model && model.input.height * model.input.width <= 64 * 64 ? ex.smallInput : null
  if (small && model) {
    notes.push(`For ${model.input.height}×${model.input.width} inputs: ε ${small.eps}, step ${small.stepSize} instead of the lab's ε ${ex.lab.eps} / step ${ex.lab.stepSize} (224²): ${small.why}.`)
    eps = small.eps
    stepSize = small.stepSize
  } else if (s !== 1 && model) {
    notes.push(`Scaled for ${model.input.height}×${model.input.width} inputs: the lab's ε ${ex.lab.eps} / step ${ex.lab.stepSize} (224²) × √(d/d₂₂₄) = ${fmt(s)} → ε ${eps}, step ${stepSize} (same RMS change per value).`)
  }
  if (targetName.toLowerCase() !== ex.target.labName) {
    notes.push(`The lab's target “${ex.target.labName}” is not one of this model's classes; using “${targetName}”.`)
  }
  return {
    patch: {
      threat: 'l2',
      eps,
      stepSize,
      steps: ex.lab.steps,
      targeted: true,
      targetClass: target,
      trueClass: null,
      randomStart: false,
      useBest: false,
      restarts: 0,
      keepIterates: ex.keepIterates,
      seed: 0
    },
    targetName,
    notes
  }
}

/**
 * Carry a feature-visualization exercise to a model (ε, step scaled). The coordinate is not the lab's index: each
 * model's most active coordinate on the image (the view's default) — the lab's r_200 / r_205 exist only in 512-d
 * and 2048-d representations, and one fixed index is often 0 (dead) on one of the two models, which would show
 * nothing.
 */
export function resolveFeatureVizExercise(ex: FeatureVizExercise, model: ModelInfo | undefined): { patch: Partial<FeatureVizForm>; notes: string[] } {
  const s = labScale(model)
  const size = model?.representation.size ?? ex.feature + 1
  const notes: string[] = []
  const eps = Number((ex.lab.eps * s).toPrecision(4))
  const stepSize = Number((ex.lab.stepSize * s).toPrecision(4))
  if (s !== 1 && model) {
    notes.push(`Scaled for ${model.input.height}×${model.input.width} inputs: ε ${ex.lab.eps} → ${eps} (still unconstrained), step ${ex.lab.stepSize} → ${stepSize} (× ${fmt(s)}).`)
  }
  notes.push(`Coordinate: each model's most active one on the image instead of the lab's r_${ex.feature}${ex.feature >= size ? ` (this representation has ${size} coordinates)` : ''}, so the ascent starts from a live unit on both models.`)
  return {
    patch: { eps, stepSize, steps: ex.lab.steps, start: ex.start, noiseSigma: ex.noiseSigma, fakeRelu: false, keepIterates: 10, seed: 0 },
    notes
  }
}
