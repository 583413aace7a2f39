"""L2 PGD, following MadryLab/robustness's L2Step (see ../shared/design/science.md §3).

Per step: x <- x + step * g / (||g||_2 + 1e-10); delta renormed to ||delta||_2 <= eps; clamp to [0, 1].
No random start; the last iterate is returned (robustness's training default is use_best=True; we keep the
last iterate, which is what evaluation protocols and the app's "lab-exact" preset use).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def pgd_l2(model, x: torch.Tensor, y: torch.Tensor, eps: float, steps: int, step_size: float) -> torch.Tensor:
    """Untargeted L2 PGD maximizing cross-entropy. x: NCHW in [0, 1]. Returns detached adversarial images.

    Gradients are taken only w.r.t. the input (weights get none). The caller chooses the model's mode.
    """
    if eps <= 0 or steps <= 0:
        return x.detach()
    x0 = x.detach()
    x_adv = x0.clone()
    for _ in range(steps):
        x_adv.requires_grad_(True)
        loss = F.cross_entropy(model(x_adv), y, reduction='sum')
        (grad,) = torch.autograd.grad(loss, x_adv)
        with torch.no_grad():
            g_norm = grad.flatten(1).norm(dim=1).view(-1, 1, 1, 1) + 1e-10
            x_adv = x_adv + step_size * grad / g_norm
            delta = (x_adv - x0).renorm(p=2, dim=0, maxnorm=eps)
            x_adv = (x0 + delta).clamp(0, 1)
    return x_adv.detach()
