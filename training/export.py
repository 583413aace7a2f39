"""Export a training checkpoint to resources/models/<id>/ (model.json + weights.bin + expected.json).

  /usr/bin/python3 training/export.py --checkpoint training/runs/w8-l2-0.5/last.pt

Steps: fold BatchNorm (eval mode) into the convs; parity check (folded vs unfolded eval-mode logits, max abs diff
printed); write float32 little-endian HWIO weights in manifest order; read the files back into PyTorch
(folded.load_exported) and check they reproduce the folded logits; evaluate the read-back model with evaluate.py's
protocol (or reuse --metrics, an evaluate.py JSON whose weightsSha256 must match); write model.json with `training`
and `metrics`; write expected.json (logits/probabilities on synthetic inputs that test/main/models.test.ts
regenerates bit-exactly, and on the bundled sample photos, sample_predictions.py) for the PyTorch <-> engine
cross-check.
"""
from __future__ import annotations

import argparse
import copy
import hashlib
import json
from pathlib import Path

import numpy as np
import torch

from data import DATASETS, DEFAULT_CACHE, default_augment, eval_resize, load_eval_split
from evaluate import default_eps, evaluate, evaluated_with, load_checkpoint_model
from folded import fold, folded_weights, load_exported
from sample_predictions import update_expected

REPO_ROOT = Path(__file__).resolve().parent.parent
MODELS_DIR = REPO_ROOT / 'resources' / 'models'
FORMAT = 'robust-lens/model@1'
N_SYNTHETIC = 9
SOLID_COLORS = [(200, 40, 40), (40, 160, 60), (50, 90, 200), (220, 210, 190)]  # images 4..7


def synthetic_inputs(n: int = N_SYNTHETIC, size: int = 32) -> np.ndarray:
    """Deterministic NHWC float32 images in [0, 1]; integer formula so TypeScript can regenerate them exactly.

    images 0-3: v = (61k + (7+k)y + (13+2k)x + 85c + floor(x*y*(k+3) / 8)) mod 256, pixel = v / 255 (float32);
    images 4-7: solid colors SOLID_COLORS[k-4] / 255; image 8: uniform gray 0.5.
    """
    assert n == 9
    out = np.zeros((n, size, size, 3), dtype=np.float32)
    y, x, c = np.meshgrid(np.arange(size), np.arange(size), np.arange(3), indexing='ij')
    for k in range(4):
        v = (61 * k + (7 + k) * y + (13 + 2 * k) * x + 85 * c + (x * y * (k + 3)) // 8) % 256
        out[k] = v.astype(np.float32) / np.float32(255)
    for k in range(4, 8):
        out[k] = np.array(SOLID_COLORS[k - 4], dtype=np.float32) / np.float32(255)
    out[8] = 0.5
    return out


def pair_id(dataset: str, width: int, resolution: int = 32) -> str:
    prefix = 'cifar10' if dataset == 'cifar10' else f'{dataset.replace("+", "-")}{resolution}'
    return f'{prefix}-resnet18w{width}'


def model_id(width: int, eps: float, dataset: str = 'cifar10', resolution: int = 32) -> str:
    return f'{pair_id(dataset, width, resolution)}-' + ('standard' if eps == 0 else f'l2-{float(eps)}')


DATASET_TEXT = {
    'cifar10': 'CIFAR-10 (development JPEGs, quality-75 re-encode of the original)',
    'imagenette': 'Imagenette2 (development 160 px JPEGs, quality 75, of the official split; 10 ImageNet classes)',
    'imagewoof': 'Imagewoof2 (development 160 px JPEGs, quality 75, of the official split; 10 dog breeds)',
    'imagenette+imagewoof': 'Imagenette2 + Imagewoof2 (development 160 px JPEGs; 20 ImageNet classes)',
}


def write_expected(out: Path, model: torch.nn.Module, res: int, sha: str) -> None:
    """expected.json of a model folder: the model's logits on the synthetic inputs, then (sample_predictions.py) on
    the bundled sample photos; `model` is the model as read back from the folder's own weight files."""
    synth = torch.from_numpy(synthetic_inputs(size=res)).permute(0, 3, 1, 2)
    with torch.no_grad():
        logits = model(synth)
        probs = logits.softmax(1)
    top2 = probs.topk(2, dim=1).values
    expected = {
        'inputs': {'kind': 'synthetic', 'count': N_SYNTHETIC, 'height': res, 'width': res, 'layout': 'NHWC',
                   'formula': 'images 0-3: v = (61k + (7+k)y + (13+2k)x + 85c + floor(x*y*(k+3)/8)) mod 256, '
                              'pixel = v/255 (float32); images 4-7: solid RGB colors/255; image 8: all 0.5',
                   'solidColors': SOLID_COLORS},
        'weightsSha256': sha,
        'logits': [[round(v, 6) for v in row] for row in logits.tolist()],
        'probabilities': [[round(v, 7) for v in row] for row in probs.tolist()],
        'top1': logits.argmax(1).tolist(),
        'top1Margin': [round(v, 6) for v in (top2[:, 0] - top2[:, 1]).tolist()],
    }
    (out / 'expected.json').write_text(json.dumps(expected, indent=2) + '\n')
    update_expected(out)  # + PyTorch predictions on the bundled sample photos


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--checkpoint', type=Path, required=True)
    p.add_argument('--id', help='default cifar10-resnet18w<W>-standard / -l2-<eps>')
    p.add_argument('--pair', help='default cifar10-resnet18w<W>')
    p.add_argument('--out-dir', type=Path, default=MODELS_DIR)
    p.add_argument('--metrics', type=Path, help='reuse an evaluate.py JSON (its weightsSha256 must match)')
    p.add_argument('--smoke', action='store_true', help='pipeline check only: evaluate on 200 clean / 50 robust images')
    p.add_argument('--threads', type=int, default=1, help='1 is fastest on a busy shared CPU (README.md)')
    p.add_argument('--device', default='cpu', help='device for the evaluation (cuda on a GPU machine)')
    p.add_argument('--float16', action='store_true', help='store the weights as float16 (half the bytes)')
    p.add_argument('--data', type=Path, nargs='+', default=None)
    p.add_argument('--cache', type=Path, default=DEFAULT_CACHE)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)

    ck = torch.load(args.checkpoint, map_location='cpu')
    targs = ck['args']
    width, eps, epochs_done, epochs_planned = int(targs['width']), float(targs['eps']), int(ck['epoch']), int(targs['epochs'])
    dataset, arch, res = targs.get('dataset', 'cifar10'), targs.get('arch', 'resnet18-cifar'), int(targs.get('resolution', 32))
    classes = DATASETS[dataset].folders_and_names(args.data or DATASETS[dataset].sources)[1]
    mid = args.id or model_id(width, eps, dataset, res)
    out = args.out_dir / mid
    out.mkdir(parents=True, exist_ok=True)

    model = load_checkpoint_model(args.checkpoint)
    folded = fold(model)
    probe = torch.cat([torch.rand(16, 3, res, res, generator=torch.Generator().manual_seed(0)),
                       torch.from_numpy(synthetic_inputs(size=res)).permute(0, 3, 1, 2)])
    with torch.no_grad():
        ref, fol = model(probe), folded(probe)
    fold_diff = (ref - fol).abs().max().item()
    print(f'parity: folded vs unfolded eval-mode logits, max abs diff {fold_diff:.3e}')
    if fold_diff > 1e-3:
        raise SystemExit('BatchNorm folding changed the logits')

    weights = folded_weights(folded)
    dtype = 'float16' if args.float16 else 'float32'
    raw = b''.join(a.astype('<f2' if args.float16 else '<f4').tobytes() for _, a in weights)
    sha = hashlib.sha256(raw).hexdigest()
    (out / 'weights.bin').write_bytes(raw)

    if args.metrics:
        metrics = json.loads(args.metrics.read_text())
        if metrics.get('weightsSha256') != sha:
            raise SystemExit(f'{args.metrics} was measured on other weights ({metrics.get("weightsSha256")} != {sha})')
    else:
        metrics = None

    partial = epochs_done < epochs_planned
    history = targs.get('init_history', [])
    epochs_total = epochs_done + sum(int(h['epochs_done']) for h in history)
    warm_restart = ''.join(f'Initialized from run {h["run"]} ({h["epochs_done"]} epochs, {h["schedule"]} LR peak {h["lr"]}'
                           + (f', width {h["width"]} widened to {width}: its function, new channels freshly initialized'
                              if h['width'] < width else '') + '); ' for h in history)
    start = 'a random start on the eps-sphere' if targs.get('random_start') else 'no random start'
    attack = (f'L2 PGD adversarial training, eps {eps:g}, {targs["attack_steps"]} steps of '
              f'{float(targs["attack_step_size"]):.4f} (2.5*eps/steps), {start}, last iterate, model in '
              f'{targs["attack_mode"]} mode during the attack; weight update on adversarial examples only'
              + (f'; catastrophic-overfitting check: PGD-10 on {targs["overfit_check"]} held test images every epoch'
                 if targs.get('overfit_check') else '') + '. ' if eps > 0 else 'Standard training. ')
    augment = targs.get('augment') or default_augment(dataset)  # runs from before --augment: the dataset's default
    augmentation = ('random crop (4-px pad) + horizontal flip' if augment == 'pad-crop' else
                    f'random-resized crops (area {targs["crop_scale"][0]:g}-{targs["crop_scale"][1]:g}, aspect 3/4-4/3) '
                    f'of the {DATASETS[dataset].size} px images to {res} px + horizontal flip')
    averaged = (f'Shipped weights: the exponential moving average of the training weights and BatchNorm statistics '
                f'(decay {targs["ema"]:g} per step). ' if targs.get('ema') else '')
    preprocessing = ('' if dataset == 'cifar10' else
                     f'Photos are preprocessed as in evaluation: short side resized to {eval_resize(res)} px, center '
                     f'crop {res} (input.cropFraction {res}/{eval_resize(res)}). ')
    notes = (attack + f'SGD nesterov momentum {targs["momentum"]}, weight decay {targs["weight_decay"]} '
             f'(conv/linear weights), batch {targs["batch_size"]}, {targs["schedule"]} LR peak {targs["lr"]} over '
             f'{epochs_planned} planned epochs, {augmentation}, no label smoothing. ' + averaged + preprocessing +
             f'Trained on CPU (2 cores) at width {width}: the widest that fit this session\'s compute. '
             + (f'{warm_restart}then this run\'s own schedule as a warm restart ({epochs_total} epochs in all). '
                if history else '')
             + (f'PARTIAL SCHEDULE: epoch {epochs_done} of {epochs_planned} (LR not yet annealed); resume with '
                f'train.py --resume to finish.' if partial else f'Full schedule ({epochs_done} epochs).'))
    input_spec = {'height': res, 'width': res, 'channels': 3, 'layout': 'NHWC', 'range': [0, 1],
                  'mean': [round(v, 6) for v in model.mean.flatten().tolist()],
                  'std': [round(v, 6) for v in model.std.flatten().tolist()]}
    if dataset != 'cifar10':
        input_spec['cropFraction'] = round(res / eval_resize(res), 6)
    spec = {
        'format': FORMAT, 'id': mid, 'pair': args.pair or pair_id(dataset, width, res),
        'role': 'standard' if eps == 0 else 'robust',
        'architecture': {'name': arch, 'width': width},
        'input': input_spec,
        'classes': classes,
        'representation': {'name': 'penultimate', 'size': 8 * width},
        'training': {'dataset': DATASET_TEXT[dataset],
                     'threat': 'none' if eps == 0 else 'l2', 'eps': eps,
                     'attackSteps': int(targs['attack_steps']) if eps > 0 else 0,
                     **({'attackStepSize': round(float(targs['attack_step_size']), 6)} if eps > 0 else {}),
                     'epochs': epochs_total, 'seed': int(targs['seed']), 'notes': notes},
        'metrics': None,
        'weightsSha256': sha,
        'weightsManifest': [{'paths': ['weights.bin'],
                             'weights': [{'name': n, 'shape': list(a.shape), 'dtype': dtype} for n, a in weights]}],
    }
    # write once without metrics so load_exported can read the files back
    (out / 'model.json').write_text(json.dumps({**spec, 'metrics': {'clean': 0, 'robust': {}, 'evaluatedWith': 'pending'}}))
    reloaded, _ = load_exported(out)
    with torch.no_grad():
        reload_diff = (reloaded(probe) - fol).abs().max().item()
    print(f'parity: model read back from {out} vs folded model, max abs diff {reload_diff:.3e}')
    if reload_diff > (5e-2 if args.float16 else 1e-4):
        raise SystemExit('exported weights do not reproduce the folded model')

    if metrics is None:
        images, labels, _ = load_eval_split(dataset, res, args.data, args.cache)
        eps_list = default_eps(dataset, res)
        if args.smoke:
            metrics = evaluate(copy.deepcopy(reloaded).to(args.device), images[:200], labels[:200], eps_list, n_robust=50,
                               device=args.device)
            metrics['evaluatedWith'] = 'SMOKE TEST ONLY (200 clean / 50 robust images), not a real evaluation'
        else:
            metrics = evaluate(copy.deepcopy(reloaded).to(args.device), images, labels, eps_list, device=args.device)
            metrics['evaluatedWith'] = evaluated_with(dataset, len(labels), metrics['robustCount'])
        metrics['weightsSha256'] = sha
    (out / 'eval-pytorch.json').write_text(json.dumps(metrics, indent=2) + '\n')
    spec['metrics'] = {'clean': metrics['clean'], 'robust': metrics['robust'], 'evaluatedWith': metrics['evaluatedWith']}
    (out / 'model.json').write_text(json.dumps(spec, indent=2) + '\n')

    write_expected(out, reloaded, res, sha)
    print(f'wrote {out} ({len(raw)} weight bytes, sha256 {sha}); clean {metrics["clean"]:.4f}, '
          f'L2 {metrics["robust"]["l2"]}')


if __name__ == '__main__':
    main()
