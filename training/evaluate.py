"""Evaluate a model on its test set (CIFAR-10 test / Imagenette val as center crops, data.load_eval_split): clean accuracy on all 10,000 images and accuracy under L2 PGD
(20 steps, step 2.5*eps/20, no random start, per-example best iterate by cross-entropy as in robustness and the
app's engine, model in eval mode) at eps 0.25 / 0.5 / 1.0 on the first
1,000 test images in the canonical order (data.py: round-robin over classes, 100 per class). Writes a JSON.

  /usr/bin/python3 training/evaluate.py --model resources/models/cifar10-resnet18w8-standard --out eval.json
  /usr/bin/python3 training/evaluate.py --checkpoint training/runs/w8-standard/last.pt --out eval.json

The ε list defaults by dataset: 0.25 / 0.5 / 1.0 at 32 px, 0.75 / 1.5 / 3.0 at 128 px (√(pixels)-scaled).
--strong adds PGD-100 (step 2.5ε/100) with 5 random restarts on the first --strong-n (default 500) images, per ε of
--strong-eps: an example counts as robust only if no restart flips it, so no robust number rests on a weak attack.

Prefer --model: it evaluates the exported (BN-folded, HWIO) weights read back from disk, so it also checks the export.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from attacks import pgd_l2
from data import DEFAULT_CACHE, load_eval_split

EVALUATED_WITH = ('PyTorch evaluate.py, dev JPEG test set (quality-75 re-encode), clean 10k, '
                  'L2 PGD-20 step 2.5ε/20 on first 1000 (round-robin order, no random start, best iterate)')
DEFAULT_EPS = (0.25, 0.5, 1.0)
DEFAULT_EPS_128 = (0.75, 1.5, 3.0)


def default_eps(dataset: str, resolution: int) -> tuple[float, ...]:
    """CIFAR-10's radii; the 160 px sets' at 128 px, scaled with the side (√pixels) at other resolutions."""
    if dataset == 'cifar10':
        return DEFAULT_EPS
    return tuple(round(e * resolution / 128, 6) for e in DEFAULT_EPS_128)


def evaluated_with(dataset: str, n_clean: int, n_robust: int) -> str:
    if dataset == 'cifar10' and n_clean == 10000 and n_robust == 1000:
        return EVALUATED_WITH
    what = ('dev JPEG test set (quality-75 re-encode)' if dataset == 'cifar10' else
            f'{dataset} val (dev 160 px JPEGs; short side resized to 146, center crop 128)')
    return (f'PyTorch evaluate.py, {what}, clean {n_clean}, L2 PGD-20 step 2.5ε/20 on first {n_robust} '
            f'(round-robin order, no random start, best iterate)')


def load_checkpoint_model(checkpoint: Path | dict):
    """The weights a training checkpoint (a path, or one already loaded) would ship, in eval mode."""
    from train import build_model, parse_args, resolve_defaults, shipped_weights
    ck = checkpoint if isinstance(checkpoint, dict) else torch.load(checkpoint, map_location='cpu')
    a = ck['args']
    argv = ['--run', 'x', '--width', str(a['width']), '--dataset', a.get('dataset', 'cifar10'),
            '--arch', a.get('arch', 'resnet18-cifar'), '--resolution', str(a.get('resolution', 32))]
    if a.get('data') and a.get('dataset', 'cifar10') != 'cifar10':
        argv += ['--data', *([a['data']] if isinstance(a['data'], str) else a['data'])]
    model = build_model(resolve_defaults(parse_args(argv)))
    model.load_state_dict(shipped_weights(ck))
    return model.eval()


def strong_robust_accuracy(model, images_u8, labels, eps, steps=100, restarts=5, batch_size=100, device='cpu',
                           seed=0) -> float:
    """Accuracy under L2 PGD-`steps` from the clean image and from `restarts` random starts on the ε-sphere: robust =
    correct after every one of those runs, so the number is never above what the deterministic start alone gives (a
    random start can land worse: on the Imagenette robust model, 5 random restarts alone left 63.2 % of the first 500
    where plain PGD-20 left 62.8 %)."""
    gen = torch.Generator().manual_seed(seed)
    y_all = torch.from_numpy(labels).to(device)
    robust = torch.ones(len(labels), dtype=torch.bool, device=device)
    for i in range(0, len(labels), batch_size):
        x, y = to_nchw(images_u8[i:i + batch_size]).to(device), y_all[i:i + batch_size]
        for run in range(restarts + 1):
            x_adv = pgd_l2(model, x, y, eps, steps, 2.5 * eps / steps, use_best=True, random_start=run > 0, generator=gen)
            with torch.no_grad():
                robust[i:i + batch_size] &= model(x_adv).argmax(1) == y
    return robust.float().mean().item()


def to_nchw(images_u8) -> torch.Tensor:
    return torch.from_numpy(images_u8).permute(0, 3, 1, 2).float().div(255)


def evaluate(model, images_u8, labels, eps_list=DEFAULT_EPS, n_robust=1000, steps=20, batch_size=250,
             log=print, device='cpu') -> dict:
    """Returns {'clean', 'robust': {'l2': {'0.25': acc, ...}}, counts and timings}. Model must be in eval mode."""
    model.eval()
    y_all = torch.from_numpy(labels).to(device)
    t0 = time.time()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(labels), 500):
            correct += (model(to_nchw(images_u8[i:i + 500]).to(device)).argmax(1) == y_all[i:i + 500]).sum().item()
    result = {'clean': correct / len(labels), 'cleanCount': len(labels), 'robust': {'l2': {}},
              'robustCount': min(n_robust, len(labels)), 'attack': {'steps': steps, 'stepRule': '2.5*eps/steps',
                                                                     'randomStart': False, 'iterate': 'best (highest CE per example over x_0..x_T)'},
              'seconds': {'clean': round(time.time() - t0, 1)}}
    log(f'clean {result["clean"]:.4f} on {len(labels)} ({time.time() - t0:.0f}s)')
    for eps in eps_list:
        t0 = time.time()
        correct = 0
        for i in range(0, result['robustCount'], batch_size):
            j = min(i + batch_size, result['robustCount'])
            x, y = to_nchw(images_u8[i:j]).to(device), y_all[i:j]
            x_adv = pgd_l2(model, x, y, eps, steps, 2.5 * eps / steps, use_best=True)
            with torch.no_grad():
                correct += (model(x_adv).argmax(1) == y).sum().item()
        key = str(float(eps))
        result['robust']['l2'][key] = correct / result['robustCount']
        result['seconds'][f'l2-{key}'] = round(time.time() - t0, 1)
        log(f'L2 eps {key}: {result["robust"]["l2"][key]:.4f} on {result["robustCount"]} ({time.time() - t0:.0f}s)')
    result['evaluatedWith'] = EVALUATED_WITH
    return result


def dataset_of(spec_or_args: dict) -> str:
    ds = spec_or_args.get('dataset', 'cifar10')
    return ds if ds in ('cifar10', 'imagenette', 'imagewoof', 'imagenette+imagewoof') else 'cifar10'


def spec_dataset(spec: dict) -> str:
    """The data.py dataset name of an exported model (its class list tells)."""
    from data import DATASETS
    for name, ds in DATASETS.items():
        try:
            if ds.folders_and_names(ds.sources)[1] == spec['classes']:
                return name
        except FileNotFoundError:
            continue
    return 'cifar10'


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument('--model', type=Path, help='resources/models/<id> (exported model.json + weights)')
    src.add_argument('--checkpoint', type=Path, help='training/runs/<run>/last.pt')
    p.add_argument('--out', type=Path, help='JSON to write (default: print only)')
    p.add_argument('--eps', type=float, nargs='+', default=None, help='default by input size (module docstring)')
    p.add_argument('--n-robust', type=int, default=1000)
    p.add_argument('--n-clean', type=int, default=10000, help='at most the test set (3,925 for Imagenette)')
    p.add_argument('--strong', action='store_true', help='add PGD-100 x 5 random restarts on the first --strong-n')
    p.add_argument('--strong-n', type=int, default=500)
    p.add_argument('--strong-eps', type=float, nargs='+', default=None, help='default: the model\'s training ε')
    p.add_argument('--write-strong', action='store_true',
                   help='with --model and --strong: record the strong attack in the model card (model.json metrics.strong)')
    p.add_argument('--steps', type=int, default=20)
    p.add_argument('--threads', type=int, default=1, help='1 is fastest on a busy shared CPU (README.md)')
    p.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    p.add_argument('--data', type=Path, nargs='+', default=None)
    p.add_argument('--cache', type=Path, default=DEFAULT_CACHE)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.model:
        from folded import load_exported
        model, spec = load_exported(args.model)
        source = {'model': str(args.model), 'weightsSha256': spec.get('weightsSha256')}
        dataset, resolution, train_eps = spec_dataset(spec), spec['input']['height'], spec['training']['eps']
    else:
        model = load_checkpoint_model(args.checkpoint)
        source = {'checkpoint': str(args.checkpoint)}
        a = torch.load(args.checkpoint, map_location='cpu')['args']
        dataset, resolution, train_eps = a.get('dataset', 'cifar10'), a.get('resolution', 32), a['eps']
    eps_list = args.eps or list(default_eps(dataset, resolution))
    images, labels, _ = load_eval_split(dataset, resolution, args.data, args.cache)
    n_clean = min(args.n_clean, len(labels))
    model = model.to(args.device)
    result = evaluate(model, images[:n_clean], labels[:n_clean], eps_list, args.n_robust, args.steps, device=args.device)
    result['evaluatedWith'] = evaluated_with(dataset, n_clean, result['robustCount'])
    if args.strong:
        strong = {}
        for eps in args.strong_eps or ([train_eps] if train_eps > 0 else eps_list[1:2]):
            t0 = time.time()
            strong[str(float(eps))] = strong_robust_accuracy(model, images[:args.strong_n], labels[:args.strong_n], eps,
                                                             device=args.device)
            print(f'L2 eps {eps}: PGD-100 from the clean image + 5 random starts {strong[str(float(eps))]:.4f} on {args.strong_n} '
                  f'({time.time() - t0:.0f}s)')
        result['strong'] = {'l2': strong, 'count': args.strong_n,
                            'attack': 'L2 PGD-100, step 2.5ε/100, best iterate, from the clean image and from 5 random starts (ε-sphere); robust = no run flips it'}
    result.update(source)
    if args.write_strong:
        if not (args.model and args.strong):
            raise SystemExit('--write-strong needs --model and --strong')
        card = args.model / 'model.json'
        spec = json.loads(card.read_text())
        spec['metrics']['strong'] = result['strong']
        card.write_text(json.dumps(spec, indent=2) + '\n')
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + '\n')


if __name__ == '__main__':
    main()
