"""Train a CIFAR-10 ResNet-18 (width w), standard (--eps 0) or L2 PGD adversarial (--eps > 0). Resumable.

  /usr/bin/python3 training/train.py --run w8-standard --width 8 --epochs 15
  /usr/bin/python3 training/train.py --run w8-l2-0.5 --width 8 --epochs 6 --eps 0.5
  ... add --resume to continue a run from training/runs/<run>/last.pt (same schedule, same total epochs);
  --stop-after K ends this invocation after epoch K (time-boxed sessions), --resume continues it bit-for-bit.
  --init-from runs/<finished run>/last.pt starts from that run's weights with this run's own schedule (warm restart);
  a narrower source is widened first (widen.py: same function, new channels freshly initialized).
  --ema 0.999 keeps an exponential moving average of the weights (and BatchNorm statistics) next to the trained ones:
  export.py ships the average, --init-from starts from it, and every epoch logs its test / held PGD-10 accuracy too.

Settings (see README.md): SGD momentum 0.9 nesterov, weight decay 5e-4, one-cycle LR (peak --lr) over the planned
total epochs, no label smoothing, batch 128, random crop (4-px zero padding) + horizontal flip on batched tensors.
Adversarial training: L2 PGD, --attack-steps 7, step 2.5*eps/steps, no random start, last iterate; the model is put
in eval mode while the attack runs (BatchNorm uses running statistics and is not updated by attack passes), then back
to train mode for the weight update on the adversarial batch only.
"""
from __future__ import annotations

import argparse
import copy
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
from data import DATASETS, DEFAULT_CACHE, IMAGENET_MEAN, IMAGENET_STD, default_augment, load_dataset_split, load_eval_split
from model import CIFAR_MEAN, CIFAR_STD, ResNet18Cifar
from widen import widen_state_dict

RUNS_DIR = Path(__file__).resolve().parent / 'runs'
# what a checkpoint written before --dataset / --arch / --resolution existed was trained with
LAYOUT_DEFAULTS = {'dataset': 'cifar10', 'arch': 'resnet18-cifar', 'resolution': 32}


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--run', required=True, help='run name; files go to <runs-dir>/<run>/')
    p.add_argument('--runs-dir', type=Path, default=RUNS_DIR, help='default training/runs')
    p.add_argument('--dataset', choices=sorted(DATASETS), default='cifar10')
    p.add_argument('--arch', choices=['resnet18-cifar', 'resnet18'], default=None,
                   help='default resnet18-cifar for cifar10, resnet18 (torchvision layout) for the 160 px sets')
    p.add_argument('--resolution', type=int, default=None, help='input size; default 32 (cifar10) / 128 (160 px sets)')
    p.add_argument('--augment', choices=['pad-crop', 'resized-crop'], default=None,
                   help='pad-crop: random crop of the 4-px zero-padded image (default for cifar10); resized-crop: '
                        'random-resized crops (--crop-scale) to the input size (default for the 160 px sets; on '
                        'cifar10 it also shows the model zoomed-in views, as close-up photos are)')
    p.add_argument('--crop-scale', type=float, nargs=2, default=[0.35, 1.0],
                   help='random-resized-crop area range (--augment resized-crop)')
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
    p.add_argument('--random-start', type=int, default=0,
                   help='1: the training attack starts at a random point of the eps-sphere (fast few-step recipes)')
    p.add_argument('--overfit-check', type=int, default=200,
                   help='robust runs: PGD-10 accuracy on the first N test images after every epoch (0: off)')
    p.add_argument('--collapse-ratio', type=float, default=0.5,
                   help='catastrophic overfitting = held PGD-10 accuracy below this fraction of its best so far; '
                        'the epoch is discarded and redone from the last checkpoint with one more attack step')
    p.add_argument('--max-restarts', type=int, default=3)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    p.add_argument('--channels-last', type=int, default=1)
    p.add_argument('--eval-subset', type=int, default=1000, help='first N test images for the per-epoch test acc')
    p.add_argument('--data', type=Path, nargs='+', default=None,
                   help='dataset folder(s) or archive(s); default the dataset\'s folder(s) in ../shared/datasets')
    p.add_argument('--cache', type=Path, default=DEFAULT_CACHE)
    p.add_argument('--resume', action='store_true')
    p.add_argument('--init-from', type=Path, default=None,
                   help='start from the weights of a finished run\'s last.pt (same width and eps) with this run\'s own '
                        'fresh optimizer and LR schedule: a warm restart that continues a converged-too-early model')
    p.add_argument('--ema', type=float, default=0.0,
                   help='per-step decay of an exponential moving average of the weights (BatchNorm statistics too), '
                        'e.g. 0.999; 0 = off. The average is what export.py ships and what --init-from starts from')
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


def random_resized_crop(images_u8: torch.Tensor, gen: torch.Generator, size: int, scale=(0.35, 1.0),
                        ratio=(3 / 4, 4 / 3)) -> torch.Tensor:
    """uint8 NHWC batch -> float NCHW [0,1] at size x size: random-resized crops (area fraction in `scale`, aspect
    ratio in `ratio`, inside the image) + horizontal flips, bilinear, batched through one affine grid."""
    n = images_u8.shape[0]
    x = images_u8.permute(0, 3, 1, 2).float().div_(255)
    area = torch.empty(n).uniform_(scale[0], scale[1], generator=gen)
    log_r = torch.empty(n).uniform_(float(np.log(ratio[0])), float(np.log(ratio[1])), generator=gen)
    r = log_r.exp()
    w = (area * r).sqrt().clamp(max=1.0)  # crop size as a fraction of the image side
    h = (area / r).sqrt().clamp(max=1.0)
    cx = (torch.rand(n, generator=gen) * (1 - w) + w / 2) * 2 - 1  # centre in [-1, 1] coordinates
    cy = (torch.rand(n, generator=gen) * (1 - h) + h / 2) * 2 - 1
    flip = torch.where(torch.rand(n, generator=gen) < 0.5, -1.0, 1.0)
    theta = torch.zeros(n, 2, 3)
    theta[:, 0, 0], theta[:, 0, 2] = w * flip, cx
    theta[:, 1, 1], theta[:, 1, 2] = h, cy
    grid = F.affine_grid(theta.to(x.device), [n, 3, size, size], align_corners=False)
    return F.grid_sample(x, grid, mode='bilinear', padding_mode='border', align_corners=False)


class WeightAverage:
    """Exponential moving average of a model's weights and BatchNorm statistics (weight averaging: a free gain in clean
    and robust accuracy for adversarial training, Rebuffi et al. 2021). The decay ramps up as min(decay, (1+t)/(10+t))
    so the first steps do not keep the initial weights; integer buffers (BatchNorm's batch counter) are copied."""

    def __init__(self, model: torch.nn.Module, decay: float):
        self.decay, self.steps = decay, 0
        self.model = copy.deepcopy(model).eval()
        for prm in self.model.parameters():
            prm.requires_grad_(False)

    @torch.no_grad()
    def update(self, model: torch.nn.Module):
        self.steps += 1
        d = min(self.decay, (1 + self.steps) / (10 + self.steps))
        live = model.state_dict()
        for name, avg in self.model.state_dict().items():
            if avg.is_floating_point():
                avg.mul_(d).add_(live[name], alpha=1 - d)
            else:
                avg.copy_(live[name])

    def state(self) -> dict:
        return {'model': self.model.state_dict(), 'steps': self.steps}

    def load(self, state: dict):
        self.model.load_state_dict(state['model'])
        self.steps = state['steps']


def shipped_weights(ck: dict) -> dict:
    """The weights a checkpoint stands for: its weight average when the run kept one, else the trained weights."""
    return ck['ema']['model'] if ck.get('ema') else ck['model']


def held_pgd_accuracy(model, x, y, eps, steps=10, fmt=torch.contiguous_format) -> float:
    """Accuracy under L2 PGD-`steps` (step 2.5*eps/steps, no random start, best iterate): the catastrophic-overfitting
    check (a fast few-step training attack can stop being a real attack while training accuracy looks fine)."""
    model.eval()
    correct = 0
    for i in range(0, len(y), 100):
        xb = x[i:i + 100].permute(0, 3, 1, 2).float().div(255).contiguous(memory_format=fmt)
        xa = pgd_l2(model, xb, y[i:i + 100], eps, steps, 2.5 * eps / steps, use_best=True)
        with torch.no_grad():
            correct += (model(xa).argmax(1) == y[i:i + 100]).sum().item()
    return correct / len(y)


def collapsed(best: float, current: float, ratio: float) -> bool:
    """Catastrophic overfitting: the held PGD accuracy fell below `ratio` x its best so far (once there is a best)."""
    return best > 0 and current < ratio * best


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


def resolve_defaults(args):
    """Dataset-dependent defaults (architecture, resolution) and the attack step rule, in place."""
    native = DATASETS[args.dataset].size
    if args.arch is None:
        args.arch = 'resnet18-cifar' if args.dataset == 'cifar10' else 'resnet18'
    if args.augment is None:
        args.augment = default_augment(args.dataset)
    if args.resolution is None:
        args.resolution = 32 if native == 32 else 128
    if args.attack_step_size is None:
        args.attack_step_size = 2.5 * args.eps / args.attack_steps if args.attack_steps else 0.0
    return args


def class_names(dataset: str, data) -> list[str]:
    """The dataset's class names in label order, from --data (paths, or a checkpoint's saved strings) or its default
    sources."""
    sources = [Path(d) for d in ([data] if isinstance(data, (str, Path)) else data)] if data else DATASETS[dataset].sources
    return DATASETS[dataset].folders_and_names(sources)[1]


def build_model(args) -> ResNet18Cifar:
    classes = class_names(args.dataset, args.data)
    mean, std = (CIFAR_MEAN, CIFAR_STD) if args.dataset == 'cifar10' else (IMAGENET_MEAN, IMAGENET_STD)
    return ResNet18Cifar(args.width, len(classes), args.arch, mean, std)


def save_checkpoint(path: Path, model, opt, sched, epoch, args, gen, extra):
    ck = {'model': model.state_dict(), 'optimizer': opt.state_dict(), 'scheduler': sched.state_dict(),
          'epoch': epoch, 'args': {k: (str(v) if isinstance(v, Path) else [str(x) for x in v] if isinstance(v, list)
                                       and v and isinstance(v[0], Path) else v) for k, v in vars(args).items()},
          'rng': {'generator': gen.get_state(), 'torch': torch.get_rng_state(), 'numpy': np.random.get_state(),
                  'python': random.getstate()}, **extra}
    tmp = path.with_suffix('.pt.tmp')
    torch.save(ck, tmp)
    os.replace(tmp, path)


def main(argv=None):
    args = resolve_defaults(parse_args(argv))
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    # Debian's torch 1.13 (oneDNN) corrupts the heap in channels-last training at widths below 8 on this CPU (AMD EPYC:
    # "double free or corruption" in backward at widths 2 and 4, the tests' tiny models; 8 and up train fine), so
    # those run in the default layout; the speed-up of channels-last only matters at real widths anyway
    fmt = torch.channels_last if args.channels_last and args.width >= 8 else torch.contiguous_format
    run_dir = args.runs_dir / args.run
    run_dir.mkdir(parents=True, exist_ok=True)
    ckpt_path = run_dir / 'last.pt'

    train_x, train_y, _ = load_dataset_split(args.dataset, 'train', args.data, args.cache)
    test_x, test_y, _ = load_eval_split(args.dataset, args.resolution, args.data, args.cache)
    train_x, train_y = torch.from_numpy(train_x).to(device), torch.from_numpy(train_y).to(device)
    sub_x = torch.from_numpy(test_x[:args.eval_subset]).to(device)
    sub_y = torch.from_numpy(test_y[:args.eval_subset]).to(device)
    held_n = args.overfit_check if args.eps > 0 else 0
    held_x, held_y = torch.from_numpy(test_x[:held_n]).to(device), torch.from_numpy(test_y[:held_n]).to(device)

    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    model = build_model(args).to(device).to(memory_format=fmt)
    decay, no_decay = [], []
    for name, prm in model.named_parameters():
        (no_decay if prm.ndim <= 1 else decay).append(prm)
    # weight decay on conv/linear weights only (BN affine params and biases excluded)
    opt = torch.optim.SGD([{'params': decay, 'weight_decay': args.weight_decay}, {'params': no_decay, 'weight_decay': 0}],
                          lr=args.lr, momentum=args.momentum, nesterov=True)
    steps_per_epoch = len(train_y) // args.batch_size  # drop the last partial batch
    sched = make_scheduler(args, opt, steps_per_epoch)
    gen = torch.Generator().manual_seed(args.seed)
    average = None  # WeightAverage once the starting weights are known (after --init-from)
    start_epoch = 0
    held_best, restarts = 0.0, 0

    def restore(ck):
        model.load_state_dict(ck['model'])
        opt.load_state_dict(ck['optimizer'])
        sched.load_state_dict(ck['scheduler'])
        gen.set_state(ck['rng']['generator'])
        torch.set_rng_state(ck['rng']['torch'])
        np.random.set_state(ck['rng']['numpy'])
        random.setstate(ck['rng']['python'])
        if average is not None:
            average.load(ck['ema'])

    if args.resume and ckpt_path.is_file():
        ck = torch.load(ckpt_path, map_location=device)
        same = all(ck['args'].get(k, d) == getattr(args, k) for k, d in
                   (('epochs', None), ('width', None), ('eps', None), *LAYOUT_DEFAULTS.items(), ('ema', 0.0)))
        if not same:
            raise SystemExit(f'--resume with different epochs/width/eps/dataset/arch/resolution/ema than the checkpoint: '
                             f'{ck["args"]}')
        if args.ema:
            average = WeightAverage(model, args.ema)
        restore(ck)
        start_epoch = ck['epoch']
        held_best, restarts = ck.get('held_best', 0.0), ck.get('restarts', 0)
        # a restart after catastrophic overfitting raised the attack steps: keep them
        args.attack_steps, args.attack_step_size = ck['args']['attack_steps'], ck['args']['attack_step_size']
        if 'init_history' in ck['args']:
            args.init_history = ck['args']['init_history']
        print(f'resumed {ckpt_path} at epoch {start_epoch}/{args.epochs}', flush=True)
    elif ckpt_path.exists():
        raise SystemExit(f'{ckpt_path} exists: pass --resume or choose another --run')
    elif args.init_from:
        src = torch.load(args.init_from, map_location=device)
        if src['args']['width'] > args.width or src['args']['eps'] != args.eps:
            raise SystemExit(f'--init-from {args.init_from}: width/eps {src["args"]["width"]}/{src["args"]["eps"]} '
                             f'do not fit this run\'s {args.width}/{args.eps} (same eps, same or larger width)')
        for key, default in LAYOUT_DEFAULTS.items():
            if src['args'].get(key, default) != getattr(args, key):
                raise SystemExit(f'--init-from {args.init_from}: {key} {src["args"].get(key, default)} differs from '
                                 f'this run\'s {getattr(args, key)}')
        if src['epoch'] < src['args']['epochs']:
            raise SystemExit(f'--init-from {args.init_from}: that run stopped at epoch {src["epoch"]} of '
                             f'{src["args"]["epochs"]}; finish it with --resume first')
        weights = shipped_weights(src)
        if src['args']['width'] < args.width:  # a wider restart: the narrow function, new channels to train
            weights = widen_state_dict(weights, model)
        model.load_state_dict(weights)
        # the source's own history, so export.py can state the whole training (it may itself be a continuation)
        own = {k: v for k, v in src['args'].items() if k != 'init_history'}
        args.init_history = src['args'].get('init_history', []) + [{**own, 'epochs_done': src['epoch']}]
        print(f'initialized from {args.init_from} ({src["epoch"]} epochs of {src["args"]["run"]})', flush=True)

    if args.ema and average is None:
        average = WeightAverage(model, args.ema)

    def write_args():
        (run_dir / 'args.json').write_text(json.dumps(
            {k: str(v) if isinstance(v, Path) else [str(x) for x in v] if isinstance(v, list) and v and
             isinstance(v[0], Path) else v for k, v in vars(args).items()}, indent=2))
    write_args()
    log_path = run_dir / 'log.csv'
    new_log = not log_path.exists() or start_epoch == 0
    with open(log_path, 'w' if new_log else 'a', newline='') as f:
        if new_log:
            csv.writer(f).writerow(['epoch', 'lr', 'train_loss', 'train_acc', 'train_adv_acc', 'test_acc_subset',
                                    'held_pgd10_acc', 'attack_steps', 'seconds', 'ema_test_acc_subset',
                                    'ema_held_pgd10_acc'])

    last_epoch = min(args.epochs, args.stop_after) if args.stop_after > 0 else args.epochs
    epoch = start_epoch
    while epoch < last_epoch:
        t0 = time.time()
        perm = torch.randperm(len(train_y), generator=gen).to(device)
        model.train()
        loss_sum = correct = seen = 0
        lr_start = opt.param_groups[0]['lr']
        for b in range(steps_per_epoch):
            if args.max_batches and b >= args.max_batches:
                break
            idx = perm[b * args.batch_size:(b + 1) * args.batch_size]
            x = (augment(train_x[idx], gen) if args.augment == 'pad-crop' else
                 random_resized_crop(train_x[idx], gen, args.resolution, args.crop_scale)).contiguous(memory_format=fmt)
            y = train_y[idx]
            if args.eps > 0:
                model.train(args.attack_mode == 'train')
                x = pgd_l2(model, x, y, args.eps, args.attack_steps, args.attack_step_size,
                           random_start=bool(args.random_start), generator=gen)
                model.train()
            logits = model(x)
            loss = F.cross_entropy(logits, y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            if average is not None:
                average.update(model)
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
        held = held_pgd_accuracy(model, held_x, held_y, args.eps, fmt=fmt) if held_n else ''
        ema_test = evaluate_clean(average.model, sub_x, sub_y, fmt=fmt) if average else ''
        ema_held = held_pgd_accuracy(average.model, held_x, held_y, args.eps, fmt=fmt) if average and held_n else ''
        if held_n and collapsed(held_best, held, args.collapse_ratio):
            # catastrophic overfitting: discard this epoch, redo it from the last checkpoint with one more step
            restarts += 1
            print(f'!! epoch {epoch + 1}: held PGD-10 accuracy {held:.3f} < {args.collapse_ratio} x best {held_best:.3f}: '
                  f'catastrophic overfitting; restart {restarts}/{args.max_restarts} from epoch {epoch} with '
                  f'{args.attack_steps + 1} attack steps', flush=True)
            with open(log_path, 'a', newline='') as f:
                csv.writer(f).writerow([f'{epoch + 1} (discarded)', f'{lr_start:.5f}', f'{loss_sum / seen:.4f}',
                                        clean_train_acc, adv_acc, f'{test_acc:.4f}', f'{held:.4f}', args.attack_steps,
                                        f'{time.time() - t0:.1f}'])
            if restarts > args.max_restarts:
                raise SystemExit(f'catastrophic overfitting {restarts} times; stopped (last good checkpoint: epoch {epoch})')
            args.attack_steps += 1
            args.attack_step_size = 2.5 * args.eps / args.attack_steps
            write_args()
            if ckpt_path.is_file():
                restore(torch.load(ckpt_path, map_location=device))
            else:  # no checkpoint yet: start again from the seed
                raise SystemExit('catastrophic overfitting in the first epoch: rerun with more --attack-steps')
            continue
        if held_n:
            held_best = max(held_best, held)
        secs = time.time() - t0
        with open(log_path, 'a', newline='') as f:
            csv.writer(f).writerow([epoch + 1, f'{lr_start:.5f}', f'{loss_sum / seen:.4f}', clean_train_acc,
                                    adv_acc, f'{test_acc:.4f}', '' if held == '' else f'{held:.4f}',
                                    args.attack_steps if args.eps > 0 else 0, f'{secs:.1f}',
                                    '' if ema_test == '' else f'{ema_test:.4f}', '' if ema_held == '' else f'{ema_held:.4f}'])
        save_checkpoint(ckpt_path, model, opt, sched, epoch + 1, args, gen,
                        {'held_best': held_best, 'restarts': restarts, 'ema': average.state() if average else None})
        print(f'== epoch {epoch + 1}/{args.epochs} loss {loss_sum / seen:.4f} train acc {train_acc:.4f} '
              f'test acc (first {len(sub_y)}) {test_acc:.4f}' + (f' held PGD-10 {held:.4f}' if held_n else '') +
              (f' | average: test acc {ema_test:.4f}' + (f' held PGD-10 {ema_held:.4f}' if held_n else '')
               if average else '') + f' {secs:.0f}s', flush=True)
        epoch += 1
    print('done' if last_epoch == args.epochs else f'stopped after epoch {last_epoch}/{args.epochs} (--resume continues)',
          flush=True)


if __name__ == '__main__':
    main()
