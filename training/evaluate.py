"""Evaluate a model on the CIFAR-10 test set: clean accuracy on all 10,000 images and accuracy under L2 PGD
(20 steps, step 2.5*eps/20, no random start, per-example best iterate by cross-entropy as in robustness and the
app's engine, model in eval mode) at eps 0.25 / 0.5 / 1.0 on the first
1,000 test images in the canonical order (data.py: round-robin over classes, 100 per class). Writes a JSON.

  /usr/bin/python3 training/evaluate.py --model resources/models/cifar10-resnet18w8-standard --out eval.json
  /usr/bin/python3 training/evaluate.py --checkpoint training/runs/w8-standard/last.pt --out eval.json

Prefer --model: it evaluates the exported (BN-folded, HWIO) weights read back from disk, so it also checks the export.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from attacks import pgd_l2
from data import DEFAULT_CACHE, DEFAULT_SOURCE, load_split
from model import ResNet18Cifar

EVALUATED_WITH = ('PyTorch evaluate.py, dev JPEG test set (quality-75 re-encode), clean 10k, '
                  'L2 PGD-20 step 2.5ε/20 on first 1000 (round-robin order, no random start, best iterate)')
DEFAULT_EPS = (0.25, 0.5, 1.0)


def load_checkpoint_model(path: Path) -> ResNet18Cifar:
    ck = torch.load(path, map_location='cpu')
    model = ResNet18Cifar(int(ck['args']['width']))
    model.load_state_dict(ck['model'])
    return model.eval()


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


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument('--model', type=Path, help='resources/models/<id> (exported model.json + weights)')
    src.add_argument('--checkpoint', type=Path, help='training/runs/<run>/last.pt')
    p.add_argument('--out', type=Path, help='JSON to write (default: print only)')
    p.add_argument('--eps', type=float, nargs='+', default=list(DEFAULT_EPS))
    p.add_argument('--n-robust', type=int, default=1000)
    p.add_argument('--n-clean', type=int, default=10000)
    p.add_argument('--steps', type=int, default=20)
    p.add_argument('--threads', type=int, default=1, help='1 is fastest on a busy shared CPU (README.md)')
    p.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    p.add_argument('--data', type=Path, default=DEFAULT_SOURCE)
    p.add_argument('--cache', type=Path, default=DEFAULT_CACHE)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.model:
        from folded import load_exported
        model, spec = load_exported(args.model)
        source = {'model': str(args.model), 'weightsSha256': spec.get('weightsSha256')}
    else:
        model = load_checkpoint_model(args.checkpoint)
        source = {'checkpoint': str(args.checkpoint)}
    images, labels = load_split('test', args.data, args.cache)
    result = evaluate(model.to(args.device), images[:args.n_clean], labels[:args.n_clean], args.eps, args.n_robust,
                      args.steps, device=args.device)
    result.update(source)
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + '\n')


if __name__ == '__main__':
    main()
