"""PyTorch's half of the engine-metrics check in test/main/models.test.ts (a `dataset-subset` job of reference.py).

The first `count` test images in the canonical round-robin order (data.py) of a dataset (`cifar10`, or a 160 px set
such as `imagenette`, center-cropped at `resolution` as evaluate.py does) are decoded by PIL from the development
archive (`data`, e.g. ../shared/datasets/cifar10/cifar10-test.tar.gz) exactly as training and evaluate.py decode them,
written as lossless PNG class folders (png_split.py's layout, one folder per class name) for the engine to read, and
evaluated here with evaluate.py's protocol on each given model (read back by folded.load_exported): clean
probabilities, then L2 PGD at `eps` with step 2.5·eps/steps, no random start, best iterate (attacks.pgd_l2). Only the
needed members are decoded, so it takes about a second, not the minutes of the full split.
"""
from __future__ import annotations

import tarfile
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from attacks import pgd_l2
from data import CLASSES, DATASETS, _class_of, _decode_jpeg, center_crop_resize, read_classes_json
from folded import load_exported
from png_split import write_png_folders


def first_round_robin(archive: Path, split: str, count: int, folders: list[str] = CLASSES, size: int = 32) -> tuple[np.ndarray, np.ndarray]:
    """uint8 NHWC images + labels of the first `count` images in the canonical order (file name rank, then class)."""
    if count % len(folders):
        raise ValueError(f'count must be a multiple of {len(folders)} (whole round-robin rounds)')
    per_class = count // len(folders)
    entries = []
    with tarfile.open(archive, 'r:*') as tar:
        names = {}
        for member in tar:
            key = _class_of(member.name, split, folders) if member.isfile() else None
            if key is not None:
                names.setdefault(key[0], []).append((key[1], member))
        for label, files in names.items():
            for rank, (name, member) in enumerate(sorted(files, key=lambda f: f[0])[:per_class]):
                entries.append((label, rank, _decode_jpeg(tar.extractfile(member).read(), size)))
    entries.sort(key=lambda e: (e[1], e[0]))
    if len(entries) != count:
        raise ValueError(f'{archive}: found {len(entries)} of the first {count} {split} images')
    return np.stack([e[2] for e in entries]), np.array([e[0] for e in entries], dtype=np.int64)


def margins(logits: torch.Tensor, labels: torch.Tensor) -> list[float]:
    """logit of the label minus the best other logit (> 0: correct; near 0: a tie that float order may break)."""
    other = logits.clone()
    other[torch.arange(len(labels)), labels] = -float('inf')
    return (logits[torch.arange(len(labels)), labels] - other.max(1).values).tolist()


def subset_reference(job: dict) -> dict:
    dataset = DATASETS[job.get('dataset', 'cifar10')]
    archive = Path(job['data'])
    folders, names = (CLASSES, CLASSES) if dataset.name == 'cifar10' else read_classes_json(archive)
    images, labels = first_round_robin(archive, dataset.split_dirs['test'], job['count'], folders, dataset.size)
    images = center_crop_resize(images, job.get('resolution', dataset.size))
    write_png_folders(images, labels, Path(job['pngDir']), names)
    x = torch.from_numpy(images).permute(0, 3, 1, 2).float().div(255)
    y = torch.from_numpy(labels)
    out = {'labels': labels.tolist(), 'classes': names, 'models': {}}
    for model_dir in job['models']:
        model, spec = load_exported(Path(model_dir))
        with torch.no_grad():
            logits = model(x)
        x_adv = pgd_l2(model, x, y, job['eps'], job['steps'], 2.5 * job['eps'] / job['steps'], use_best=True)
        with torch.no_grad():
            adv_logits = model(x_adv)
        out['models'][spec['id']] = {
            'probabilities': F.softmax(logits, 1).reshape(-1).tolist(),
            'cleanMargin': margins(logits, y),
            'pgdMargin': margins(adv_logits, y),
            'cleanTrueProb': F.softmax(logits, 1)[torch.arange(len(y)), y].tolist(),
            'pgdTrueProb': F.softmax(adv_logits, 1)[torch.arange(len(y)), y].tolist(),
        }
    return out
