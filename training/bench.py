"""Seconds per training batch on this machine: standard and k-step L2 PGD adversarial, per width.

  /usr/bin/python3 training/bench.py --arch resnet18 --resolution 128 --widths 16 32 48 64 --attack-steps 2 3
  /usr/bin/python3 training/bench.py --arch resnet18-cifar --resolution 32 --widths 16 32 --attack-steps 2

Prints one line per (width, channels-last) with s/batch and minutes per epoch for --train-images, and a JSON line.
A k-step adversarial batch costs about k+1 forward/backward passes (k attack steps + the weight update).
"""
import argparse
import json
import time

import torch
import torch.nn.functional as F

from attacks import pgd_l2
from model import ResNet18Cifar

p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
p.add_argument('--arch', choices=['resnet18-cifar', 'resnet18'], default='resnet18-cifar')
p.add_argument('--resolution', type=int, default=32)
p.add_argument('--widths', type=int, nargs='+', default=[8, 16, 32, 64])
p.add_argument('--attack-steps', type=int, nargs='+', default=[7])
p.add_argument('--batch-size', type=int, default=128)
p.add_argument('--threads', type=int, default=2)
p.add_argument('--reps', type=int, default=2)
p.add_argument('--channels-last', type=int, nargs='+', default=[1])
p.add_argument('--train-images', type=int, default=None, help='default 50,000 (resnet18-cifar) / 9,469 (resnet18)')
args = p.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(0)
train_images = args.train_images or (50000 if args.arch == 'resnet18-cifar' else 9469)
x = torch.rand(args.batch_size, 3, args.resolution, args.resolution)
y = torch.randint(0, 10, (args.batch_size,))
results = []
for w in args.widths:
    for cl in args.channels_last:
        model = ResNet18Cifar(w, 10, args.arch)
        fmt = torch.channels_last if cl else torch.contiguous_format
        model = model.to(memory_format=fmt)
        xb = x.contiguous(memory_format=fmt)
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        res = {}
        for steps in [0] + args.attack_steps:
            times = []
            for r in range(args.reps + 1):
                t = time.time()
                if steps:
                    model.eval()
                    xa = pgd_l2(model, xb, y, 0.5, steps, 2.5 * 0.5 / steps, random_start=True)
                else:
                    xa = xb
                model.train()
                loss = F.cross_entropy(model(xa), y)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                if r:  # the first repetition warms up
                    times.append(time.time() - t)
            res['std' if steps == 0 else f'adv{steps}'] = min(times)
        nb = train_images / args.batch_size
        print(f'{args.arch} {args.resolution}px w={w:3d} channels_last={cl} ' + '  '.join(
            f'{k} {v:.3f}s/batch ({v * nb / 60:.1f} min/epoch)' for k, v in res.items()), flush=True)
        results.append({'arch': args.arch, 'resolution': args.resolution, 'width': w, 'channelsLast': cl,
                        'threads': args.threads, 'batch': args.batch_size, 'secondsPerBatch': res,
                        'minutesPerEpoch': {k: round(v * nb / 60, 2) for k, v in res.items()}})
print(json.dumps(results))
