"""BatchNorm folding and the exported (folded) model, rebuilt in PyTorch from model.json + weights.

The folded network is ResNet18Cifar with every ConvBN's BatchNorm replaced by Identity and a bias on the conv
(ImageNet-layout model folders load as reference.FormatResNet).
Names map one to one to docs/model-format.md: `stem.conv`, `layer1.0.conv1`, `layer2.0.shortcut`, `fc`.
"""
from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

from model import ConvBN, ResNet18Cifar
from reference import load_model_folder, read_weights


def _convbn_modules(model: nn.Module):
    """(format name, ConvBN) pairs in manifest order."""
    for name, mod in model.named_modules():
        if isinstance(mod, ConvBN):
            yield ('stem.conv' if name == 'stem' else name), mod


def fold(model: ResNet18Cifar) -> ResNet18Cifar:
    """A copy of `model` (eval-mode semantics) with BN folded into conv weight + bias; BNs become Identity."""
    folded = copy.deepcopy(model).eval()
    for _, mod in _convbn_modules(folded):
        conv, bn = mod.conv, mod.bn
        scale = bn.weight.detach() / torch.sqrt(bn.running_var + bn.eps)
        new = nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride, conv.padding, bias=True)
        with torch.no_grad():
            new.weight.copy_(conv.weight.detach() * scale.view(-1, 1, 1, 1))
            b0 = conv.bias.detach() if conv.bias is not None else torch.zeros_like(scale)
            new.bias.copy_(bn.bias.detach() - bn.running_mean * scale + b0 * scale)
        mod.conv, mod.bn = new, nn.Identity()
    return folded


def empty_folded(width: int, num_classes: int = 10, arch: str = 'resnet18-cifar') -> ResNet18Cifar:
    return fold(ResNet18Cifar(width, num_classes, arch))


def folded_weights(folded: ResNet18Cifar) -> list[tuple[str, np.ndarray]]:
    """(name, float32 array) in manifest order, conv HWIO and dense [in, out] (docs/model-format.md)."""
    out = []
    for name, mod in _convbn_modules(folded):
        out.append((f'{name}.weight', mod.conv.weight.detach().permute(2, 3, 1, 0).contiguous().numpy()))
        out.append((f'{name}.bias', mod.conv.bias.detach().numpy()))
    out.append(('fc.weight', folded.fc.weight.detach().t().contiguous().numpy()))
    out.append(('fc.bias', folded.fc.bias.detach().numpy()))
    return [(n, np.ascontiguousarray(a, dtype=np.float32)) for n, a in out]


def load_exported(model_dir: Path) -> tuple[nn.Module, dict]:
    """Rebuild the PyTorch model from resources/models/<id>/ (checks the sha256 on the way).

    resnet18-cifar: the training network (ResNet18Cifar) with folded BatchNorm, so export.py can compare it with the
    network it trained. The ImageNet layouts (resnet18, resnet50): reference.FormatResNet, built from
    docs/model-format.md. Both take NCHW pixels in [0, 1] and return logits; `.features(x)` is the representation.
    """
    model_dir = Path(model_dir)
    spec = json.loads((model_dir / 'model.json').read_text())
    if spec['architecture']['name'] != 'resnet18-cifar':
        return load_model_folder(model_dir)
    tensors = read_weights(model_dir, spec)
    model = empty_folded(spec['architecture']['width'], len(spec['classes']), 'resnet18-cifar')
    model.mean.copy_(torch.tensor(spec['input']['mean']).view(1, 3, 1, 1))
    model.std.copy_(torch.tensor(spec['input']['std']).view(1, 3, 1, 1))
    with torch.no_grad():
        for name, mod in _convbn_modules(model):
            mod.conv.weight.copy_(torch.from_numpy(tensors.pop(f'{name}.weight')).permute(3, 2, 0, 1))
            mod.conv.bias.copy_(torch.from_numpy(tensors.pop(f'{name}.bias')))
        model.fc.weight.copy_(torch.from_numpy(tensors.pop('fc.weight')).t())
        model.fc.bias.copy_(torch.from_numpy(tensors.pop('fc.bias')))
    if tensors:
        raise ValueError(f'unused weights in {model_dir}: {sorted(tensors)}')
    return model.eval(), spec
