"""L2 PGD, following MadryLab/robustness's L2Step (see ../shared/design/science.md §3).

Per step: x <- x + step * g / (||g||_2 + 1e-10); delta renormed to ||delta||_2 <= eps; clamp to [0, 1].
No random start by default; `random_start=True` starts at x + eps * u with u a uniformly random unit direction (a
point of the eps-sphere, as robustness' L2Step.random_perturb), clamped to [0, 1] — the fast few-step training recipes
need it. `use_best=False` returns the last iterate (what training uses: no extra forward pass);
`use_best=True` returns, per example, the iterate x_0..x_T with the highest cross-entropy — robustness's default and
what the app's engine evaluation does (src/main/engine/evaluate.ts), so evaluate.py uses it too.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def pgd_l2(model, x: torch.Tensor, y: torch.Tensor, eps: float, steps: int, step_size: float,
           use_best: bool = False, random_start: bool = False, generator: torch.Generator | None = None) -> torch.Tensor:
    """Untargeted L2 PGD maximizing cross-entropy. x: NCHW in [0, 1]. Returns detached adversarial images.

    Gradients are taken only w.r.t. the input (weights get none). The caller chooses the model's mode.
    """
    if eps <= 0 or steps <= 0:
        return x.detach()
    x0 = x.detach()
    x_adv = x0.clone()
    if random_start:
        noise = torch.randn(x0.shape, generator=generator).to(x0.device)
        noise = noise / (noise.flatten(1).norm(dim=1).view(-1, 1, 1, 1) + 1e-10)
        x_adv = (x0 + eps * noise).clamp(0, 1)
    best_x, best_loss = x0.clone(), None

    def keep_best(candidate, losses):
        nonlocal best_x, best_loss
        if best_loss is None:
            best_x, best_loss = candidate.clone(), losses.clone()
            return
        better = losses > best_loss
        best_x = torch.where(better.view(-1, 1, 1, 1), candidate, best_x)
        best_loss = torch.where(better, losses, best_loss)

    for _ in range(steps):
        x_adv.requires_grad_(True)
        losses = F.cross_entropy(model(x_adv), y, reduction='none')
        (grad,) = torch.autograd.grad(losses.sum(), x_adv)
        with torch.no_grad():
            if use_best:
                keep_best(x_adv.detach(), losses.detach())
            g_norm = grad.flatten(1).norm(dim=1).view(-1, 1, 1, 1) + 1e-10
            x_adv = x_adv + step_size * grad / g_norm
            delta = (x_adv - x0).renorm(p=2, dim=0, maxnorm=eps)
            x_adv = (x0 + delta).clamp(0, 1)
    if not use_best:
        return x_adv.detach()
    with torch.no_grad():
        keep_best(x_adv, F.cross_entropy(model(x_adv), y, reduction='none'))
    return best_x.detach()
