#!/usr/bin/env python3
"""PyTorch reference timing for `npm run bench` (src/main/cli/bench.ts): the input gradient of Σ_b logit[b, 3] of a
model folder (docs/model-format.md: resnet18-cifar / resnet18 / resnet50, folded BN, HWIO weights), rebuilt with
plain torch.nn.functional ops, at the batches and thread count given. Prints one JSON object:
{"torch": version, "threads": n, "results": [{"batch": b, "medianMs": …, "minMs": …, "runs": k}], "layout": "nchw"|"channels_last"}.
Best of NCHW and channels_last (engine-notes.md §7 measured PyTorch the same way)."""
import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F


def load_weights(model_dir: Path):
    spec = json.loads((model_dir / 'model.json').read_text())
    raw = b''.join((model_dir / p).read_bytes() for group in spec['weightsManifest'] for p in group['paths'])
    tensors, off = {}, 0
    for group in spec['weightsManifest']:
        for w in group['weights']:
            dt = np.dtype('<f4') if w['dtype'] == 'float32' else np.dtype('<f2')
            n = int(np.prod(w['shape']))
            a = np.frombuffer(raw, dt, n, off).astype(np.float32).reshape(w['shape'])
            off += n * dt.itemsize
            t = torch.from_numpy(a.copy())
            tensors[w['name']] = t.permute(3, 2, 0, 1).contiguous() if t.dim() == 4 else t  # HWIO -> OIHW
    return spec, tensors


def build_forward(spec, w, memory_format):
    arch, width = spec['architecture']['name'], spec['architecture']['width']
    bottleneck = arch == 'resnet50'
    imagenet = arch != 'resnet18-cifar'
    blocks_per_layer = [3, 4, 6, 3] if bottleneck else [2, 2, 2, 2]
    mean = torch.tensor(spec['input']['mean']).view(1, 3, 1, 1)
    std = torch.tensor(spec['input']['std']).view(1, 3, 1, 1)
    for k in list(w):
        if w[k].dim() == 4:
            w[k] = w[k].contiguous(memory_format=memory_format)

    def conv(name, x, stride):
        weight = w[f'{name}.weight']
        return F.conv2d(x, weight, w[f'{name}.bias'], stride, weight.shape[-1] // 2)

    def forward(x):
        h = (x.clamp(0, 1) - mean) / std
        h = F.relu(conv('stem.conv', h, 2 if imagenet else 1))
        if imagenet:
            h = F.max_pool2d(h, 3, 2, 1)
        for layer, count in enumerate(blocks_per_layer):
            for b in range(count):
                stride = 2 if layer > 0 and b == 0 else 1
                p = f'layer{layer + 1}.{b}'
                if bottleneck:
                    y = F.relu(conv(f'{p}.conv1', h, 1))
                    y = F.relu(conv(f'{p}.conv2', y, stride))
                    y = conv(f'{p}.conv3', y, 1)
                else:
                    y = F.relu(conv(f'{p}.conv1', h, stride))
                    y = conv(f'{p}.conv2', y, 1)
                skip = conv(f'{p}.shortcut', h, stride) if f'{p}.shortcut.weight' in w else h
                h = F.relu(y + skip)
        features = h.mean((2, 3))
        return features @ w['fc.weight'] + w['fc.bias']

    return forward


def time_gradient(forward, x, runs):
    def step():
        xi = x.clone().requires_grad_(True)
        forward(xi)[:, 3].sum().backward()
        return xi.grad

    for _ in range(3):
        step()
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        step()
        samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    return samples


def main():
    p = argparse.ArgumentParser()
    p.add_argument('model_dir', type=Path)
    p.add_argument('--batches', type=int, nargs='+', default=[1, 16])
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--runs', type=int, default=7)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    spec, weights = load_weights(args.model_dir)
    size = (spec['input']['height'], spec['input']['width'])
    results = []
    for batch in args.batches:
        x = torch.rand(batch, 3, *size)
        best = None
        for name, fmt in (('nchw', torch.contiguous_format), ('channels_last', torch.channels_last)):
            fwd = build_forward(spec, dict(weights), fmt)
            samples = time_gradient(fwd, x.contiguous(memory_format=fmt), args.runs)
            med = samples[len(samples) // 2]
            if best is None or med < best['medianMs']:
                best = {'batch': batch, 'medianMs': round(med, 2), 'minMs': round(samples[0], 2), 'runs': len(samples), 'layout': name}
        results.append(best)
    print(json.dumps({'torch': torch.__version__, 'threads': torch.get_num_threads(), 'results': results}))


if __name__ == '__main__':
    main()
