"""Seconds per training batch (standard and 7-step L2 PGD adversarial) at several widths on this machine."""
import argparse
import time

import torch
import torch.nn.functional as F

from attacks import pgd_l2
from model import ResNet18Cifar

p = argparse.ArgumentParser()
p.add_argument('--widths', type=int, nargs='+', default=[8, 16, 32, 64])
p.add_argument('--batch-size', type=int, default=128)
p.add_argument('--threads', type=int, default=2)
p.add_argument('--reps', type=int, default=2)
p.add_argument('--channels-last', type=int, nargs='+', default=[0, 1])
args = p.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(0)
x = torch.rand(args.batch_size, 3, 32, 32)
y = torch.randint(0, 10, (args.batch_size,))
for w in args.widths:
    for cl in args.channels_last:
        model = ResNet18Cifar(w)
        fmt = torch.channels_last if cl else torch.contiguous_format
        model = model.to(memory_format=fmt)
        xb = x.contiguous(memory_format=fmt)
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        res = {}
        for mode, steps in (('std', 0), ('adv7', 7)):
            times = []
            for r in range(args.reps + 1):
                t = time.time()
                if steps:
                    model.eval()
                    xa = pgd_l2(model, xb, y, 0.5, steps, 2.5 * 0.5 / steps)
                else:
                    xa = xb
                model.train()
                loss = F.cross_entropy(model(xa), y)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                if r:
                    times.append(time.time() - t)
            res[mode] = min(times)
        nb = 50000 / args.batch_size
        print(f'w={w:3d} channels_last={cl} std {res["std"]:.3f}s/batch ({res["std"]*nb/60:.1f} min/epoch)  '
              f'adv7 {res["adv7"]:.3f}s/batch ({res["adv7"]*nb/60:.1f} min/epoch)', flush=True)
