"""Write one split, decoded exactly as training and evaluate.py decode it (data.py, PIL), as lossless PNG class
folders `<out>/<split>/<class>/NNNN.png` (NNNN = rank within the class, so the canonical round-robin order is kept).

  /usr/bin/python3 training/png_split.py --split test --out /tmp/cifar10-png

The engine's half of the evaluation (training/ship.sh) reads these, so that PyTorch and the engine attack the very
same pixels: jpeg-js (the app's decoder) and libjpeg (PIL) decode the same JPEG to pixels up to ±1 apart, and on the
robust L2 ε=0.5 model that alone moved accuracy at ε = 0.5 by 0.9 pp (PyTorch 51.7 %, engine on jpeg-js pixels
52.6 %, engine on these PNGs 51.7 %).
"""
from __future__ import annotations

import argparse
from pathlib import Path

from PIL import Image

from data import CLASSES, DATASETS, DEFAULT_CACHE, load_eval_split


def write_png_folders(images, labels, split_dir: Path, classes: list[str] = CLASSES) -> int:
    """uint8 NHWC images -> `<split_dir>/<class>/NNNN.png`, NNNN = rank within the class in the given order."""
    rank = [0] * len(classes)
    for image, label in zip(images, labels):
        folder = split_dir / classes[label]
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray(image).save(folder / f'{rank[label]:04d}.png')
        rank[label] += 1
    return len(labels)


def write_png_split(split: str, out: Path, sources=None, cache: Path = DEFAULT_CACHE, dataset: str = 'cifar10',
                    resolution: int = 32) -> int:
    """The test split as the model is evaluated on it (160 px sets: the center crop at `resolution`)."""
    assert split == 'test', 'only the test split is written (the engine evaluates on it)'
    images, labels, names = load_eval_split(dataset, resolution, sources, cache)
    return write_png_folders(images, labels, out / split, names)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--split', choices=['test'], default='test')
    p.add_argument('--out', type=Path, required=True)
    p.add_argument('--dataset', choices=sorted(DATASETS), default='cifar10')
    p.add_argument('--resolution', type=int, default=None, help='default 32 (cifar10) / 128')
    p.add_argument('--data', type=Path, nargs='+', default=None)
    p.add_argument('--cache', type=Path, default=DEFAULT_CACHE)
    args = p.parse_args(argv)
    res = args.resolution or (32 if args.dataset == 'cifar10' else 128)
    n = write_png_split(args.split, args.out, args.data, args.cache, args.dataset, res)
    print(f'wrote {n} PNGs under {args.out / args.split}')


if __name__ == '__main__':
    main()
