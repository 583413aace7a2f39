"""Train a CIFAR-10 ResNet-18 (width w), standard (--eps 0) or L2 PGD adversarial (--eps > 0). Resumable.

  /usr/bin/python3 training/train.py --run w8-standard --width 8 --epochs 15
  /usr/bin/python3 training/train.py --run w8-l2-0.5 --width 8 --epochs 6 --eps 0.5
  ... add --resume to continue a run from training/runs/<run>/last.pt (same schedule, same total epochs);
  --stop-after K ends this invocation after epoch K (time-boxed sessions), --resume continues it bit-for-bit.
  --init-from runs/<finished run>/last.pt starts from that run's weights with this run's own schedule (warm restart).

Settings (see README.md): SGD momentum 0.9 nesterov, weight decay 5e-4, one-cycle LR (peak --lr) over the planned
total epochs, no label smoothing, batch 128, random crop (4-px zero padding) + horizontal flip on batched tensors.
Adversarial training: L2 PGD, --attack-steps 7, step 2.5*eps/steps, no random start, last iterate; the model is put
in eval mode while the attack runs (BatchNorm uses running statistics and is not updated by attack passes), then back
to train mode for the weight update on the adversarial batch only.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import random
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from attacks import pgd_l2
from data import DEFAULT_CACHE, DEFAULT_SOURCE, load_split
from model import ResNet18Cifar

RUNS_DIR = Path(__file__).resolve().parent / 'runs'


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--run', required=True, help='run name; files go to <runs-dir>/<run>/')
    p.add_argument('--runs-dir', type=Path, default=RUNS_DIR, help='default training/runs')
    p.add_argument('--width', type=int, default=64)
    p.add_argument('--epochs', type=int, default=30, help='planned total epochs (the LR schedule spans these)')
    p.add_argument('--batch-size', type=int, default=128)
    p.add_argument('--lr', type=float, default=0.1, help='peak learning rate')
    p.add_argument('--schedule', choices=['onecycle', 'cosine'], default='onecycle')
    p.add_argument('--momentum', type=float, default=0.9)
    p.add_argument('--weight-decay', type=float, default=5e-4)
    p.add_argument('--eps', type=float, default=0.0, help='L2 training radius; 0 = standard training')
    p.add_argument('--attack-steps', type=int, default=7)
    p.add_argument('--attack-step-size', type=float, default=None, help='default 2.5*eps/attack-steps')
    p.add_argument('--attack-mode', choices=['eval', 'train'], default='eval', help='model mode during the attack')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    p.add_argument('--channels-last', type=int, default=1)
    p.add_argument('--eval-subset', type=int, default=1000, help='first N test images for the per-epoch test acc')
    p.add_argument('--data', type=Path, default=DEFAULT_SOURCE)
    p.add_argument('--cache', type=Path, default=DEFAULT_CACHE)
    p.add_argument('--resume', action='store_true')
    p.add_argument('--init-from', type=Path, default=None,
                   help='start from the weights of a finished run\'s last.pt (same width and eps) with this run\'s own '
                        'fresh optimizer and LR schedule: a warm restart that continues a converged-too-early model')
    p.add_argument('--max-batches', type=int, default=0, help='debug: stop each epoch after this many batches')
    p.add_argument('--stop-after', type=int, default=0,
                   help='end this invocation after epoch K (the LR schedule still spans --epochs); continue with --resume')
    return p.parse_args(argv)


def augment(images_u8: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """uint8 NHWC batch -> float NCHW in [0,1] with random crop (4-px zero pad) and horizontal flip."""
    n = images_u8.shape[0]
    x = images_u8.permute(0, 3, 1, 2).float().div_(255)
    padded = F.pad(x, (4, 4, 4, 4))
    off = torch.randint(0, 9, (n, 2), generator=gen).to(x.device)
    ar = torch.arange(32, device=x.device)
    rows = (off[:, 0:1] + ar).view(n, 1, 32, 1).expand(n, 3, 32, 40)
    cropped = padded.gather(2, rows)
    cols = (off[:, 1:2] + ar).view(n, 1, 1, 32).expand(n, 3, 32, 32)
    cropped = cropped.gather(3, cols)
    flip = (torch.rand(n, generator=gen) < 0.5).to(x.device)
    return torch.where(flip.view(n, 1, 1, 1), cropped.flip(3), cropped)


def evaluate_clean(model, images_u8, labels, batch_size=500, fmt=torch.contiguous_format) -> float:
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(labels), batch_size):
            x = images_u8[i:i + batch_size].permute(0, 3, 1, 2).float().div(255).contiguous(memory_format=fmt)
            correct += (model(x).argmax(1) == labels[i:i + batch_size]).sum().item()
    return correct / len(labels)


def make_scheduler(args, opt, steps_per_epoch):
    total = args.epochs * steps_per_epoch
    if args.schedule == 'onecycle':
        return torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=total, pct_start=0.25,
                                                   anneal_strategy='linear', div_factor=25, final_div_factor=1e3,
                                                   cycle_momentum=False)
    return torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.5 * (1 + np.cos(np.pi * min(s, total) / total)))


def main(argv=None):
    args = parse_args(argv)
    if args.attack_step_size is None:
        args.attack_step_size = 2.5 * args.eps / args.attack_steps if args.attack_steps else 0.0
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    fmt = torch.channels_last if args.channels_last else torch.contiguous_format
    run_dir = args.runs_dir / args.run
    run_dir.mkdir(parents=True, exist_ok=True)
    ckpt_path = run_dir / 'last.pt'

    train_x, train_y = load_split('train', args.data, args.cache)
    test_x, test_y = load_split('test', args.data, args.cache)
    train_x, train_y = torch.from_numpy(train_x).to(device), torch.from_numpy(train_y).to(device)
    sub_x = torch.from_numpy(test_x[:args.eval_subset]).to(device)
    sub_y = torch.from_numpy(test_y[:args.eval_subset]).to(device)

    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    model = ResNet18Cifar(args.width).to(device).to(memory_format=fmt)
    decay, no_decay = [], []
    for name, prm in model.named_parameters():
        (no_decay if prm.ndim <= 1 else decay).append(prm)
    # weight decay on conv/linear weights only (BN affine params and biases excluded)
    opt = torch.optim.SGD([{'params': decay, 'weight_decay': args.weight_decay}, {'params': no_decay, 'weight_decay': 0}],
                          lr=args.lr, momentum=args.momentum, nesterov=True)
    steps_per_epoch = len(train_y) // args.batch_size  # drop the last partial batch
    sched = make_scheduler(args, opt, steps_per_epoch)
    gen = torch.Generator().manual_seed(args.seed)
    start_epoch = 0

    if args.resume and ckpt_path.is_file():
        ck = torch.load(ckpt_path, map_location=device)
        if ck['args']['epochs'] != args.epochs or ck['args']['width'] != args.width or ck['args']['eps'] != args.eps:
            raise SystemExit(f'--resume with different epochs/width/eps than the checkpoint: {ck["args"]}')
        model.load_state_dict(ck['model'])
        opt.load_state_dict(ck['optimizer'])
        sched.load_state_dict(ck['scheduler'])
        gen.set_state(ck['rng']['generator'])
        torch.set_rng_state(ck['rng']['torch'])
        np.random.set_state(ck['rng']['numpy'])
        random.setstate(ck['rng']['python'])
        start_epoch = ck['epoch']
        if 'init_history' in ck['args']:
            args.init_history = ck['args']['init_history']
        print(f'resumed {ckpt_path} at epoch {start_epoch}/{args.epochs}', flush=True)
    elif ckpt_path.exists():
        raise SystemExit(f'{ckpt_path} exists: pass --resume or choose another --run')
    elif args.init_from:
        src = torch.load(args.init_from, map_location=device)
        if src['args']['width'] != args.width or src['args']['eps'] != args.eps:
            raise SystemExit(f'--init-from {args.init_from}: width/eps {src["args"]["width"]}/{src["args"]["eps"]} '
                             f'differ from this run\'s {args.width}/{args.eps}')
        if src['epoch'] < src['args']['epochs']:
            raise SystemExit(f'--init-from {args.init_from}: that run stopped at epoch {src["epoch"]} of '
                             f'{src["args"]["epochs"]}; finish it with --resume first')
        model.load_state_dict(src['model'])
        # the source's own history, so export.py can state the whole training (it may itself be a continuation)
        own = {k: v for k, v in src['args'].items() if k != 'init_history'}
        args.init_history = src['args'].get('init_history', []) + [{**own, 'epochs_done': src['epoch']}]
        print(f'initialized from {args.init_from} ({src["epoch"]} epochs of {src["args"]["run"]})', flush=True)

    (run_dir / 'args.json').write_text(json.dumps({k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}, indent=2))
    log_path = run_dir / 'log.csv'
    new_log = not log_path.exists() or start_epoch == 0
    with open(log_path, 'w' if new_log else 'a', newline='') as f:
        if new_log:
            csv.writer(f).writerow(['epoch', 'lr', 'train_loss', 'train_acc', 'train_adv_acc', 'test_acc_subset', 'seconds'])

    last_epoch = min(args.epochs, args.stop_after) if args.stop_after > 0 else args.epochs
    for epoch in range(start_epoch, last_epoch):
        t0 = time.time()
        perm = torch.randperm(len(train_y), generator=gen).to(device)
        model.train()
        loss_sum = correct = adv_correct = seen = 0
        lr_start = opt.param_groups[0]['lr']
        for b in range(steps_per_epoch):
            if args.max_batches and b >= args.max_batches:
                break
            idx = perm[b * args.batch_size:(b + 1) * args.batch_size]
            x = augment(train_x[idx], gen).contiguous(memory_format=fmt)
            y = train_y[idx]
            if args.eps > 0:
                model.train(args.attack_mode == 'train')
                x = pgd_l2(model, x, y, args.eps, args.attack_steps, args.attack_step_size)
                model.train()
            logits = model(x)
            loss = F.cross_entropy(logits, y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            n = len(y)
            seen += n
            loss_sum += loss.item() * n
            correct += (logits.argmax(1) == y).sum().item()
            if b % 50 == 0:
                el = time.time() - t0
                print(f'epoch {epoch + 1} batch {b}/{steps_per_epoch} loss {loss_sum / seen:.3f} acc {correct / seen:.3f} '
                      f'{el / (b + 1):.2f}s/batch', flush=True)
        train_acc = correct / seen
        adv_acc = train_acc if args.eps > 0 else ''  # for adversarial runs the training batches are adversarial
        clean_train_acc = '' if args.eps > 0 else train_acc
        test_acc = evaluate_clean(model, sub_x, sub_y, fmt=fmt)
        secs = time.time() - t0
        with open(log_path, 'a', newline='') as f:
            csv.writer(f).writerow([epoch + 1, f'{lr_start:.5f}', f'{loss_sum / seen:.4f}', clean_train_acc,
                                    adv_acc, f'{test_acc:.4f}', f'{secs:.1f}'])
        ck = {'model': model.state_dict(), 'optimizer': opt.state_dict(), 'scheduler': sched.state_dict(),
              'epoch': epoch + 1, 'args': {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
              'rng': {'generator': gen.get_state(), 'torch': torch.get_rng_state(), 'numpy': np.random.get_state(),
                      'python': random.getstate()}}
        tmp = run_dir / 'last.pt.tmp'
        torch.save(ck, tmp)
        os.replace(tmp, ckpt_path)
        print(f'== epoch {epoch + 1}/{args.epochs} loss {loss_sum / seen:.4f} train acc {train_acc:.4f} '
              f'test acc (first {len(sub_y)}) {test_acc:.4f} {secs:.0f}s', flush=True)
    print('done' if last_epoch == args.epochs else f'stopped after epoch {last_epoch}/{args.epochs} (--resume continues)',
          flush=True)


if __name__ == '__main__':
    main()
