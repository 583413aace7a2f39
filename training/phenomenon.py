"""The paper's phenomenon as numbers, for one exported pair (issue 9 item 5):

  /usr/bin/python3 training/phenomenon.py --standard resources/models/<std> --robust resources/models/<rob>

On the first --n (200) test images (the evaluation center crops), each with a target class ≠ its label
(target = (label + 1 + i mod (C − 1)) mod C, deterministic), targeted large-ε L2 PGD (descend the cross-entropy of the
target; --steps 100 of 2.5·ε/steps; no random start; last iterate) with ε scaled from the lab's 100 at 224 px by the
side (√pixels): 57.14 at 128 px, 14.29 at 32 px.
  robustToStandard = share of the images made on the ROBUST model that the STANDARD model classifies as the target
                     (the robust model's large-ε images carry the target's features: high);
  standardToRobust = share of the images made on the STANDARD model that the ROBUST model classifies as the target
                     (the standard model's are imperceptible-feature noise to the robust model: low).
Both are recorded in both models' model.json `metrics.largeEpsTransfer`. --grid writes a PNG beside the robust
model: for up to 6 bundled sample photos (resources/samples, never dataset images), the photo, its large-ε image
toward a target on each model, and each model's loss gradient (per-pixel L2 norm, normalized), one row per photo.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from data import load_eval_split
from evaluate import spec_dataset, to_nchw
from folded import load_exported
from sample_predictions import SAMPLES_DIR, load_for_model, sample_label

LAB_EPS, LAB_SIDE = 100.0, 224


def targeted_l2(model, x: torch.Tensor, target: torch.Tensor, eps: float, steps: int) -> torch.Tensor:
    """Descend CE(target) by normalized-gradient steps of 2.5·eps/steps, projected on the eps-ball and [0, 1]."""
    step = 2.5 * eps / steps
    x0, xa = x.detach(), x.detach().clone()
    for _ in range(steps):
        xa.requires_grad_(True)
        (g,) = torch.autograd.grad(F.cross_entropy(model(xa), target, reduction='sum'), xa)
        with torch.no_grad():
            xa = xa - step * g / (g.flatten(1).norm(dim=1).view(-1, 1, 1, 1) + 1e-10)
            xa = (x0 + (xa - x0).renorm(p=2, dim=0, maxnorm=eps)).clamp(0, 1)
    return xa.detach()


def targets_for(labels: np.ndarray, classes: int) -> torch.Tensor:
    i = np.arange(len(labels))
    return torch.from_numpy((labels + 1 + i % (classes - 1)) % classes)


def transfer_rates(standard, robust, images_u8, labels, eps, steps, classes: int, batch=50, log=print) -> dict:
    targets = targets_for(labels, classes)
    hits = {'robustToStandard': 0, 'standardToRobust': 0, 'robustReached': 0, 'standardReached': 0}
    t0 = time.time()
    for i in range(0, len(labels), batch):
        x, t = to_nchw(images_u8[i:i + batch]), targets[i:i + batch]
        on_robust, on_standard = targeted_l2(robust, x, t, eps, steps), targeted_l2(standard, x, t, eps, steps)
        with torch.no_grad():
            hits['robustToStandard'] += (standard(on_robust).argmax(1) == t).sum().item()
            hits['standardToRobust'] += (robust(on_standard).argmax(1) == t).sum().item()
            hits['robustReached'] += (robust(on_robust).argmax(1) == t).sum().item()
            hits['standardReached'] += (standard(on_standard).argmax(1) == t).sum().item()
        log(f'{i + len(t)}/{len(labels)} images ({time.time() - t0:.0f}s): '
            + ', '.join(f'{k} {v / (i + len(t)):.3f}' for k, v in hits.items()))
    return {k: round(v / len(labels), 4) for k, v in hits.items()}


def gradient_map(model, x: torch.Tensor, y: torch.Tensor) -> np.ndarray:
    x = x.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(F.cross_entropy(model(x), y, reduction='sum'), x)
    m = g.norm(dim=1)  # per-pixel L2 over channels
    m = m / (m.flatten(1).quantile(0.99, dim=1).view(-1, 1, 1) + 1e-12)
    return m.clamp(0, 1).numpy()


def write_grid(standard, robust, spec, out_png: Path, eps, steps, count=6):
    from PIL import Image
    size, classes = spec['input']['height'], spec['classes']
    fraction = spec['input'].get('cropFraction', 1.0)
    samples = [s for s in json.loads((SAMPLES_DIR / 'samples.json').read_text()) if sample_label(s, classes)][:count]
    if not samples:
        return None
    x = torch.from_numpy(np.stack([load_for_model(SAMPLES_DIR / s['id'], size, size, fraction) for s in samples])
                         ).permute(0, 3, 1, 2)
    labels = np.array([classes.index(sample_label(s, classes)) for s in samples])
    t = targets_for(labels, len(classes))
    on_robust, on_standard = targeted_l2(robust, x, t, eps, steps), targeted_l2(standard, x, t, eps, steps)
    y = torch.from_numpy(labels)
    g_std, g_rob = gradient_map(standard, x, y), gradient_map(robust, x, y)
    scale = max(1, 128 // size)
    rows = []
    for i in range(len(samples)):
        tiles = [x[i], on_standard[i], on_robust[i]]
        tiles = [(tt.permute(1, 2, 0).numpy() * 255).round().astype(np.uint8) for tt in tiles]
        tiles += [np.repeat((g[i] * 255).round().astype(np.uint8)[:, :, None], 3, 2) for g in (g_std, g_rob)]
        pad = np.full((size, 4, 3), 255, np.uint8)
        rows.append(np.concatenate(sum([[tile, pad] for tile in tiles], [])[:-1], axis=1))
        rows.append(np.full((4, rows[-1].shape[1], 3), 255, np.uint8))
    grid = np.concatenate(rows[:-1], axis=0)
    img = Image.fromarray(grid).resize((grid.shape[1] * scale, grid.shape[0] * scale), Image.NEAREST)
    img.save(out_png, optimize=True)
    return [{'sample': s['id'], 'label': classes[labels[i]], 'target': classes[int(t[i])]} for i, s in enumerate(samples)]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--standard', type=Path, required=True)
    p.add_argument('--robust', type=Path, required=True)
    p.add_argument('--n', type=int, default=200)
    p.add_argument('--steps', type=int, default=100)
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--grid', action='store_true', help='write large-eps-grid.png beside the robust model')
    p.add_argument('--no-write', action='store_true', help='print only; do not touch model.json')
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    standard, s_spec = load_exported(args.standard)
    robust, r_spec = load_exported(args.robust)
    if s_spec['classes'] != r_spec['classes'] or s_spec['input']['height'] != r_spec['input']['height']:
        raise SystemExit('the two models are not a pair (classes or input size differ)')
    side = r_spec['input']['height']
    eps = round(LAB_EPS * side / LAB_SIDE, 4)
    images, labels, _ = load_eval_split(spec_dataset(r_spec), side)
    rates = transfer_rates(standard, robust, images[:args.n], labels[:args.n], eps, args.steps, len(r_spec['classes']))
    result = {**rates, 'eps': eps, 'steps': args.steps, 'count': min(args.n, len(labels)),
              'evaluatedWith': f'training/phenomenon.py: targeted L2 PGD-{args.steps} (step 2.5ε/steps, no random start, '
                               f'last iterate) at ε {eps} (the lab\'s 100 at 224 px scaled by the side) on the first '
                               f'{min(args.n, len(labels))} test images, target (label + 1 + i mod (C−1)) mod C; '
                               f'robustToStandard = made on the robust model, classified as the target by the standard '
                               f'model; standardToRobust = the converse'}
    print(json.dumps(result, indent=2))
    if args.grid:
        rows = write_grid(standard, robust, r_spec, args.robust / 'large-eps-grid.png', eps, args.steps)
        if rows:
            result['grid'] = {'file': 'large-eps-grid.png', 'columns': ['photo', 'large-ε on standard',
                              'large-ε on robust', 'standard gradient', 'robust gradient'], 'rows': rows}
    if not args.no_write:
        for d in (args.standard, args.robust):
            spec = json.loads((d / 'model.json').read_text())
            spec['metrics']['largeEpsTransfer'] = result
            (d / 'model.json').write_text(json.dumps(spec, indent=2) + '\n')


if __name__ == '__main__':
    main()
