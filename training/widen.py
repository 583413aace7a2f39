"""Function-preserving widening: a trained width-w ResNet-18's weights inside a freshly initialized wider one.

A warm restart at a larger width (train.py --init-from a narrower finished run) starts from the narrow model's
function instead of from scratch. Every tensor of the wide model keeps its fresh initialization except where the
narrow model had weights:
  - the leading block (the first w·k output channels reading the first w·k input channels) is the narrow tensor;
  - the old outputs' weights on the *new* input channels are zero, so the old channels compute exactly what they did
    (the new channels exist and train, but nothing old reads them yet), and the classifier's weights on the new
    features are zero: the logits are the narrow model's, in train and in eval mode.
The new channels are randomly initialized (not copies of old ones, as Net2WiderNet's duplication would make them):
duplicated channels stay near-twins for many epochs, which the app would show as repeated neurons in the
representation-layer grid, and random ones give gradient descent new directions from the first step.
"""
from __future__ import annotations

import torch


def widen_state_dict(narrow: dict[str, torch.Tensor], wide_model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """The wide model's state dict with `narrow` (same layer names, every dimension ≤ the wide one) embedded."""
    wide = {k: v.detach().clone() for k, v in wide_model.state_dict().items()}
    if set(wide) != set(narrow):
        raise ValueError(f'the models have different layers: {sorted(set(wide) ^ set(narrow))[:4]}')
    for name, small in narrow.items():
        big = wide[name]
        if small.ndim != big.ndim or any(s > b for s, b in zip(small.shape, big.shape)):
            raise ValueError(f'{name}: {tuple(small.shape)} does not fit in {tuple(big.shape)}')
        lead = tuple(slice(0, s) for s in small.shape)  # () for BatchNorm's batch counter: the whole scalar
        if small.ndim >= 2 and big.shape[1] > small.shape[1]:
            # conv [out, in, kh, kw] / linear [out, in]: old outputs must not read the new inputs
            big[:small.shape[0], small.shape[1]:] = 0
        big[lead] = small.to(big.dtype)
    return wide
