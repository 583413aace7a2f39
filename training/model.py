"""ResNet-18 (width w) in two layouts, with input clamping + normalization inside the model:
`resnet18-cifar` (3x3/1 stem, no max-pool; CIFAR-10 at 32 px) and `resnet18` (torchvision: 7x7/2 stem + 3x3/2 max-pool;
Imagenette at 128 px).

Layer names match docs/model-format.md (`stem.conv`, `layer{L}.{B}.conv1/conv2/shortcut`, `fc`), each conv followed by
its BatchNorm (`*.bn` / `bn1` / `bn2` / `shortcut_bn`), so export.py can fold them one to one.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

CIFAR_MEAN = (0.4914, 0.4822, 0.4465)
CIFAR_STD = (0.2023, 0.1994, 0.2010)


class ConvBN(nn.Module):
    def __init__(self, cin: int, cout: int, k: int, stride: int):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, bias=False)
        self.bn = nn.BatchNorm2d(cout)

    def forward(self, x):
        return self.bn(self.conv(x))


class BasicBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        self.conv1 = ConvBN(cin, cout, 3, stride)
        self.conv2 = ConvBN(cout, cout, 3, 1)
        self.shortcut = ConvBN(cin, cout, 1, stride) if stride != 1 or cin != cout else None

    def forward(self, x):
        out = F.relu(self.conv1(x))
        out = self.conv2(out)
        return F.relu(out + (self.shortcut(x) if self.shortcut is not None else x))


ARCHITECTURES = ('resnet18-cifar', 'resnet18')


class ResNet18Cifar(nn.Module):
    """`arch` 'resnet18-cifar' (default) or 'resnet18' (torchvision layout); the layer names are the same."""

    def __init__(self, width: int = 64, num_classes: int = 10, arch: str = 'resnet18-cifar',
                 mean=CIFAR_MEAN, std=CIFAR_STD):
        super().__init__()
        if arch not in ARCHITECTURES:
            raise ValueError(f'unknown architecture {arch!r}')
        self.width, self.arch = width, arch
        self.register_buffer('mean', torch.tensor(mean).view(1, 3, 1, 1))
        self.register_buffer('std', torch.tensor(std).view(1, 3, 1, 1))
        self.stem = ConvBN(3, width, 3, 1) if arch == 'resnet18-cifar' else ConvBN(3, width, 7, 2)
        cin = width
        for li, mult in enumerate((1, 2, 4, 8), start=1):
            c = width * mult
            blocks = [BasicBlock(cin, c, 1 if li == 1 else 2), BasicBlock(c, c, 1)]
            setattr(self, f'layer{li}', nn.Sequential(*blocks))
            cin = c
        self.fc = nn.Linear(8 * width, num_classes)

    def features(self, x):
        """x: NCHW pixels in [0, 1] -> penultimate representation [N, 8w]."""
        x = (x.clamp(0, 1) - self.mean) / self.std
        x = F.relu(self.stem(x))
        if self.arch == 'resnet18':
            x = F.max_pool2d(x, 3, 2, 1)
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return F.adaptive_avg_pool2d(x, 1).flatten(1)

    def forward(self, x):
        return self.fc(self.features(x))
