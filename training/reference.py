"""An independent PyTorch reference for the app's engine: every layout and every method, for the cross-checks in
test/main/engine/pytorch-reference.test.ts and test/main/models.test.ts.

  /usr/bin/python3 training/reference.py JOBS.json OUT.json

Independent of the TypeScript engine: the network is built here in plain torch.nn from docs/model-format.md (not from
src/main/engine/models/layout.ts), and the methods follow ../shared/design/science.md (§0 conventions, §2/§3 the
PGD loop, §4 feature visualization with fake ReLU, §6 SmoothGrad). The only thing shared with the engine is the
SmoothGrad noise: the engine draws it from a documented seeded stream (mulberry32 + Box-Muller, src/main/engine/rng.ts,
noise of sample s for image i from stream (seed, s, i)), which `engine_noise` regenerates here, so both sides add the
very same samples and the maps can be compared value by value.

JOBS.json: {"jobs": [{"name", "method", "model" (model folder), "images" (raw float32 NHWC file), "shape", ...}]}
(see `run_job`); OUT.json: {"name": {...}} with every array flattened NHWC like the engine's results.
"""
from __future__ import annotations

import hashlib
import json
import math
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

M32 = 0xFFFFFFFF


# ───────────────────────────── the network (docs/model-format.md) ─────────────────────────────

def read_weights(model_dir: Path, spec: dict) -> dict[str, np.ndarray]:
    """name -> float32 array in the file's layout (conv HWIO, dense [in, out]); checks sha256 and byte count."""
    raw = b''.join((Path(model_dir) / p).read_bytes() for group in spec['weightsManifest'] for p in group['paths'])
    if 'weightsSha256' in spec and hashlib.sha256(raw).hexdigest() != spec['weightsSha256']:
        raise ValueError(f'{model_dir}: weightsSha256 mismatch')
    tensors, off = {}, 0
    for group in spec['weightsManifest']:
        for w in group['weights']:
            dt = np.dtype('<f4') if w['dtype'] == 'float32' else np.dtype('<f2')
            n = int(np.prod(w['shape']))
            tensors[w['name']] = np.frombuffer(raw, dt, n, off).astype(np.float32).reshape(w['shape'])
            off += n * dt.itemsize
    if off != len(raw):
        raise ValueError(f'{model_dir}: {len(raw)} weight bytes, manifest describes {off}')
    return tensors


class _FakeReLU(torch.autograd.Function):
    """ReLU forward, identity backward (MadryLab fake_relu)."""

    @staticmethod
    def forward(ctx, x):
        return x.clamp(min=0)

    @staticmethod
    def backward(ctx, grad):
        return grad


class FormatResNet(nn.Module):
    """The three layouts of docs/model-format.md with folded BatchNorm (conv + bias), NCHW, pixels in [0, 1].

    resnet18-cifar: 3x3/1 stem, no max-pool, basic blocks. resnet18: 7x7/2 stem (pad 3) + ReLU + 3x3/2 max-pool (pad 1),
    basic blocks. resnet50: same stem, bottleneck blocks (1x1, 3x3 with the stride, 1x1 to 4c), 3/4/6/3 blocks.
    Every conv pads kernel // 2 symmetrically (PyTorch's own padding, which is what the format prescribes).
    """

    def __init__(self, architecture: str, width: int, classes: int, mean, std):
        super().__init__()
        if architecture not in ('resnet18-cifar', 'resnet18', 'resnet50'):
            raise ValueError(f'unsupported architecture {architecture!r}')
        self.architecture = architecture
        self.register_buffer('mean', torch.tensor(mean, dtype=torch.float32).view(1, 3, 1, 1))
        self.register_buffer('std', torch.tensor(std, dtype=torch.float32).view(1, 3, 1, 1))
        self.convs = nn.ModuleDict()  # format name with '.' -> '/' (ModuleDict keys cannot hold dots)
        self.imagenet = architecture != 'resnet18-cifar'
        bottleneck = architecture == 'resnet50'
        self._add('stem.conv', 3, width, 7 if self.imagenet else 3, 2 if self.imagenet else 1)
        self.blocks: list[tuple[list[str], str | None]] = []  # (branch conv names, shortcut name or None)
        cin = width
        for layer, count in enumerate((3, 4, 6, 3) if bottleneck else (2, 2, 2, 2), start=1):
            c = width * 2 ** (layer - 1)
            cout = 4 * c if bottleneck else c
            for b in range(count):
                stride = 2 if layer > 1 and b == 0 else 1
                p = f'layer{layer}.{b}'
                if bottleneck:
                    self._add(f'{p}.conv1', cin, c, 1, 1)
                    self._add(f'{p}.conv2', c, c, 3, stride)
                    self._add(f'{p}.conv3', c, cout, 1, 1)
                    branch = [f'{p}.conv1', f'{p}.conv2', f'{p}.conv3']
                else:
                    self._add(f'{p}.conv1', cin, c, 3, stride)
                    self._add(f'{p}.conv2', c, c, 3, 1)
                    branch = [f'{p}.conv1', f'{p}.conv2']
                shortcut = None
                if stride != 1 or cin != cout:
                    shortcut = f'{p}.shortcut'
                    self._add(shortcut, cin, cout, 1, stride)
                self.blocks.append((branch, shortcut))
                cin = cout
        self.representation_size = cin
        self.fc = nn.Linear(cin, classes)

    def _add(self, name: str, cin: int, cout: int, k: int, stride: int):
        self.convs[name.replace('.', '/')] = nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, bias=True)

    def conv(self, name: str) -> nn.Conv2d:
        return self.convs[name.replace('.', '/')]

    def load_format_weights(self, tensors: dict[str, np.ndarray]) -> 'FormatResNet':
        tensors = dict(tensors)
        with torch.no_grad():
            for key, conv in self.convs.items():
                name = key.replace('/', '.')
                conv.weight.copy_(torch.from_numpy(tensors.pop(f'{name}.weight')).permute(3, 2, 0, 1))  # HWIO -> OIHW
                conv.bias.copy_(torch.from_numpy(tensors.pop(f'{name}.bias')))
            self.fc.weight.copy_(torch.from_numpy(tensors.pop('fc.weight')).t())
            self.fc.bias.copy_(torch.from_numpy(tensors.pop('fc.bias')))
        if tensors:
            raise ValueError(f'unused weights: {sorted(tensors)}')
        return self

    def logits_and_features(self, x: torch.Tensor, fake_relu: bool = False):
        """x: NCHW in [0, 1] -> (logits [N, classes], representation [N, D]) (the representation after the last ReLU)."""
        h = (x.clamp(0, 1) - self.mean) / self.std
        h = F.relu(self.conv('stem.conv')(h))
        if self.imagenet:
            h = F.max_pool2d(h, 3, 2, 1)
        for i, (branch, shortcut) in enumerate(self.blocks):
            out = h
            for j, name in enumerate(branch):
                out = self.conv(name)(out)
                if j < len(branch) - 1:
                    out = F.relu(out)
            out = out + (self.conv(shortcut)(h) if shortcut else h)
            h = _FakeReLU.apply(out) if fake_relu and i == len(self.blocks) - 1 else F.relu(out)
        features = h.mean(dim=(2, 3))
        return self.fc(features), features

    def features(self, x, fake_relu: bool = False):
        return self.logits_and_features(x, fake_relu)[1]

    def forward(self, x):
        return self.logits_and_features(x)[0]


def load_model_folder(model_dir: Path) -> tuple[FormatResNet, dict]:
    """Any model folder (docs/model-format.md) as a FormatResNet in eval mode."""
    spec = json.loads((Path(model_dir) / 'model.json').read_text())
    arch = spec['architecture']
    model = FormatResNet(arch['name'], arch['width'], len(spec['classes']), spec['input']['mean'], spec['input']['std'])
    return model.load_format_weights(read_weights(model_dir, spec)).eval(), spec


# ───────────────────────────── the engine's documented noise stream ─────────────────────────────

def _imul(a: int, b: int) -> int:
    return (a * b) & M32


def derive_seed(seed: int, *stream: int) -> int:
    h = (seed ^ 0x9E3779B9) & M32
    for s in stream:
        h = _imul(h ^ (s & M32), 0x85EBCA6B)
        h = _imul(h ^ (h >> 13), 0xC2B2AE35)
        h = h ^ (h >> 16)
    return h


def gaussian_array(seed: int, n: int, std: float) -> np.ndarray:
    """mulberry32 uniforms, Box-Muller (cos value first, then the sin value), each times std, rounded to float32."""
    a = seed & M32
    out = np.empty(n, dtype=np.float64)

    def uniform() -> float:
        nonlocal a
        a = (a + 0x6D2B79F5) & M32
        t = _imul(a ^ (a >> 15), a | 1)
        t ^= (t + _imul(t ^ (t >> 7), t | 61)) & M32
        return ((t ^ (t >> 14)) & M32) / 4294967296

    i = 0
    while i < n:
        u = 0.0
        while u <= 5e-324:
            u = uniform()
        v = uniform()
        r = math.sqrt(-2 * math.log(u))
        out[i] = r * math.cos(2 * math.pi * v) * std
        if i + 1 < n:
            out[i + 1] = r * math.sin(2 * math.pi * v) * std
        i += 2
    return out.astype(np.float32)


def engine_noise(seed: int, sample: int, image: int, n: int, sigma: float) -> np.ndarray:
    return gaussian_array(derive_seed(seed, sample, image), n, sigma)


# ───────────────────────────── the methods (science.md) ─────────────────────────────

def nchw(a: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(a)).permute(0, 3, 1, 2).contiguous()


def nhwc_list(t: torch.Tensor) -> list[float]:
    return t.detach().permute(0, 2, 3, 1).reshape(-1).tolist()


def objective_values(model: FormatResNet, x: torch.Tensor, kind: str, index: list[int], fake_relu: bool = False):
    """Per-example objective: 'loss' CE(f(x), y), 'score' f_y(x), 'feature' r_k(x)."""
    logits, features = model.logits_and_features(x, fake_relu)
    idx = torch.tensor(index)
    if kind == 'loss':
        return F.cross_entropy(logits, idx, reduction='none'), logits
    if kind == 'score':
        return logits[torch.arange(len(index)), idx], logits
    if kind == 'feature':
        return features[torch.arange(len(index)), idx], logits
    raise ValueError(kind)


def input_gradient(model, x, kind, index, fake_relu=False):
    """(values, ∇ₓ Σ values, logits): per-example objectives summed, never the batch mean (science.md §0)."""
    x = x.detach().clone().requires_grad_(True)
    values, logits = objective_values(model, x, kind, index, fake_relu)
    (g,) = torch.autograd.grad(values.sum(), x)
    return values.detach(), g, logits.detach()


def smoothgrad(model, images: np.ndarray, kind: str, cls: int, sigma: float, samples: int, seed: int, clip_noisy: bool):
    """SG, SG², VarGrad (science.md §6) with the engine's noise; σ_abs = σ·(max − min) of each image."""
    n = images.shape[0]
    per = images[0].size
    sums = np.zeros((n, per), dtype=np.float64)
    squares = np.zeros((n, per), dtype=np.float64)
    sigma_abs = []
    for i in range(n):
        flat = images[i].reshape(-1)
        s_abs = sigma * (float(flat.max()) - float(flat.min()))
        sigma_abs.append(s_abs)
        noisy = np.stack([flat + engine_noise(seed, s, i, per, s_abs) for s in range(samples)])  # float32 sums
        if clip_noisy:
            noisy = np.clip(noisy, 0, 1)
        _, g, _ = input_gradient(model, nchw(noisy.reshape((samples,) + images.shape[1:])), kind, [cls] * samples)
        g = g.permute(0, 2, 3, 1).reshape(samples, per).double().numpy()
        sums[i] = g.sum(0)
        squares[i] = (g * g).sum(0)
    sg = sums / samples
    sg2 = squares / samples
    return {'smoothgrad': sg.reshape(-1).tolist(), 'smoothgrad2': sg2.reshape(-1).tolist(),
            'vargrad': (sg2 - sg * sg).reshape(-1).tolist(), 'sigmaAbsolute': sigma_abs}


def projected_loop(model, x0: torch.Tensor, kind: str, index: list[int], ascend: bool, threat: str, eps: float,
                   step: float, steps: int, fake_relu: bool = False):
    """science.md §2/§3, fixed start (x₀), last iterate: x ← x + m·step·ĝ (L2 ĝ = g/(‖g‖₂+1e-10), L∞ ĝ = sign g);
    δ ← x − x₀ projected (L2 δ·min(1, ε/‖δ‖₂), L∞ clamp(δ, −ε, ε)); x ← clamp(x₀ + δ, 0, 1).
    Returns every iterate x_0..x_T and the objective at each."""
    m = 1.0 if ascend else -1.0
    x = x0.clone()
    iterates, values = [x.clone()], []
    for t in range(steps + 1):
        v, g, _ = input_gradient(model, x, kind, index, fake_relu)
        values.append(v.tolist())
        if t == steps:
            break
        with torch.no_grad():
            if threat == 'l2':
                direction = g / (g.flatten(1).norm(dim=1).view(-1, 1, 1, 1) + 1e-10)
            else:
                direction = g.sign()
            moved = x + m * step * direction
            delta = moved - x0
            if threat == 'l2':
                norm = delta.flatten(1).norm(dim=1).view(-1, 1, 1, 1)
                delta = delta * torch.clamp(eps / norm, max=1.0)
            else:
                delta = delta.clamp(-eps, eps)
            x = (x0 + delta).clamp(0, 1)
        iterates.append(x.clone())
    return iterates, values


# ───────────────────────────── jobs ─────────────────────────────

def _images(job) -> np.ndarray:
    return np.fromfile(job['images'], dtype='<f4').reshape(job['shape'])


def run_job(job: dict) -> dict:
    method = job['method']
    if method == 'dataset-subset':
        from subset import subset_reference  # dataset-backed; only imported when asked for
        return subset_reference(job)
    if method == 'sample-pngs':
        from sample_predictions import write_pngs
        write_pngs(Path(job['pngDir']))
        return {}
    model, _ = load_model_folder(Path(job['model']))
    images = _images(job)
    x = nchw(images)
    if method == 'gradients':
        cls = job['classes']
        out = {}
        with torch.no_grad():
            logits, features = model.logits_and_features(x)
        out['logits'] = logits.reshape(-1).tolist()
        out['features'] = features.reshape(-1).tolist()
        out['probabilities'] = logits.softmax(1).reshape(-1).tolist()
        for kind in ('loss', 'score'):
            _, g, _ = input_gradient(model, x, kind, cls)
            out[kind] = nhwc_list(g)
        return out
    if method == 'smoothgrad':
        return smoothgrad(model, images, job['gradient'], job['classIndex'], job['sigma'], job['samples'], job['seed'],
                          job['clipNoisy'])
    if method == 'pgd':
        targeted = job['targeted']
        index = [job['targetClass']] * len(images) if targeted else job['trueClass']
        iterates, values = projected_loop(model, x, 'loss', index, not targeted, job['threat'], job['eps'],
                                          job['stepSize'], job['steps'])
        return {'iterates': [nhwc_list(it) for it in iterates], 'loss': values}
    if method == 'featureviz':
        index = [job['feature']] * len(images)
        iterates, values = projected_loop(model, x, 'feature', index, True, 'l2', job['eps'], job['stepSize'],
                                          job['steps'], job['fakeRelu'])
        return {'iterates': [nhwc_list(it) for it in iterates], 'activation': values}
    raise ValueError(f'unknown method {method!r}')


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2:
        raise SystemExit(__doc__)
    torch.set_num_threads(1)
    jobs = json.loads(Path(argv[0]).read_text())['jobs']
    out = {job['name']: run_job(job) for job in jobs}
    Path(argv[1]).write_text(json.dumps(out))


if __name__ == '__main__':
    main()
