"""CIFAR-10 loading for Robust Lens training.

Two source layouts are auto-detected:
  * image folders of JPEGs, `<split>/<class>/<file>.jpg`, as a directory or a `.tar.gz`
    (the development archives in ../shared/datasets/cifar10/);
  * the original CIFAR-10 python archive (`cifar-10-batches-py/data_batch_*`, `test_batch`),
    as a directory or `cifar-10-python.tar.gz`.

Everything is decoded once into a uint8 cache (`.data/cifar10-{train,test}.npz`, NHWC, git-ignored).

Canonical image order (used everywhere: per-epoch test subset, evaluate.py "first 1,000 test images", the app):
  round-robin over the classes: sorted by file name first, then by class index (CIFAR order = alphabetical names),
  i.e. test/airplane/0000.jpg, test/automobile/0000.jpg, ..., test/truck/0000.jpg, test/airplane/0001.jpg, ...
  So the first 1,000 test images are files 0000-0099 of every class (100 per class); a class-major order would make
  them all airplanes. For the original python archive the equivalent is: rank of the image among its class in the
  archive's order, then class index.
"""
from __future__ import annotations

import io
import os
import pickle
import tarfile
from pathlib import Path

import numpy as np

CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck']
REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = REPO_ROOT.parent / 'shared' / 'datasets' / 'cifar10'
DEFAULT_CACHE = REPO_ROOT / '.data'


def _decode_jpeg(data: bytes) -> np.ndarray:
    from PIL import Image
    with Image.open(io.BytesIO(data)) as im:
        arr = np.asarray(im.convert('RGB'), dtype=np.uint8)
    if arr.shape != (32, 32, 3):
        raise ValueError(f'expected a 32x32 RGB image, got {arr.shape}')
    return arr


def _finish(entries: list[tuple[int, str, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    entries.sort(key=lambda e: (e[1], e[0]))  # file name, then class: round-robin
    images = np.stack([e[2] for e in entries])
    labels = np.array([e[0] for e in entries], dtype=np.int64)
    return images, labels


def _class_of(rel_path: str, split: str) -> tuple[int, str] | None:
    """`.../<split>/<class>/<file>.jpg` -> (class index, file name); None for anything else."""
    parts = rel_path.replace('\\', '/').strip('/').split('/')
    if len(parts) < 3 or parts[-3] != split or not parts[-1].lower().endswith(('.jpg', '.jpeg', '.png')):
        return None
    if parts[-2] not in CLASSES:
        raise ValueError(f'unknown class folder {parts[-2]!r} in {rel_path}')
    return CLASSES.index(parts[-2]), parts[-1]


def _load_folder_tar(tar_path: Path, split: str):
    entries = []
    with tarfile.open(tar_path, 'r:*') as tar:
        for member in tar:
            if not member.isfile():
                continue
            key = _class_of(member.name, split)
            if key is None:
                continue
            entries.append((key[0], key[1], _decode_jpeg(tar.extractfile(member).read())))
    return _finish(entries) if entries else None


def _load_folder_dir(root: Path, split: str):
    split_dir = root / split
    if not split_dir.is_dir():
        return None
    entries = []
    for class_dir in split_dir.iterdir():
        if not class_dir.is_dir():
            continue
        for f in class_dir.iterdir():
            key = _class_of(str(f.relative_to(root)), split)
            if key is not None:
                entries.append((key[0], key[1], _decode_jpeg(f.read_bytes())))
    return _finish(entries) if entries else None


def _python_batches_to_arrays(batches: list[dict]):
    data = np.concatenate([b[b'data'] for b in batches]).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    labels = np.concatenate([np.asarray(b[b'labels'], dtype=np.int64) for b in batches])
    rank = np.zeros_like(labels)
    for c in range(len(CLASSES)):
        rank[labels == c] = np.arange((labels == c).sum())
    order = np.lexsort((labels, rank))  # rank within class, then class: the folders' round-robin convention
    return np.ascontiguousarray(data[order]), labels[order]


def _python_batch_names(split: str) -> list[str]:
    return [f'data_batch_{i}' for i in range(1, 6)] if split == 'train' else ['test_batch']


def _load_python_dir(root: Path, split: str):
    for d in (root, root / 'cifar-10-batches-py'):
        if all((d / n).is_file() for n in _python_batch_names(split)):
            batches = [pickle.loads((d / n).read_bytes(), encoding='bytes') for n in _python_batch_names(split)]
            return _python_batches_to_arrays(batches)
    return None


def _load_python_tar(tar_path: Path, split: str):
    wanted = set(_python_batch_names(split))
    found = {}
    with tarfile.open(tar_path, 'r:*') as tar:
        for member in tar:
            name = os.path.basename(member.name)
            if member.isfile() and name in wanted:
                found[name] = pickle.loads(tar.extractfile(member).read(), encoding='bytes')
    if set(found) != wanted:
        return None
    return _python_batches_to_arrays([found[n] for n in _python_batch_names(split)])


def decode_split(source: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    """Decode one split from any supported layout under `source` (a directory or an archive)."""
    source = Path(source)
    candidates = []
    if source.is_file():
        candidates = [source]
    else:
        candidates = [source]
        candidates += sorted(source.glob(f'*{split}*.tar.gz')) + sorted(source.glob('cifar-10-python*.tar.gz'))
    for c in candidates:
        if c.is_dir():
            result = _load_python_dir(c, split) or _load_folder_dir(c, split)
        elif c.name.startswith('cifar-10-python'):
            result = _load_python_tar(c, split)
        else:
            result = _load_folder_tar(c, split) or _load_python_tar(c, split)
        if result is not None:
            return result
    raise FileNotFoundError(f'no CIFAR-10 {split} split found under {source}')


def load_split(split: str, source: Path = DEFAULT_SOURCE, cache_dir: Path = DEFAULT_CACHE):
    """uint8 images [N,32,32,3] and int64 labels [N], in the canonical order; cached after the first call."""
    cache = Path(cache_dir) / f'cifar10-{split}.npz'
    # the cache remembers what it was decoded from: another --data must not silently reuse it
    origin = str(Path(source).resolve())
    if cache.is_file():
        with np.load(cache) as z:
            cached_from = str(z['source']) if 'source' in z.files else str(Path(DEFAULT_SOURCE).resolve())  # older caches
            if cached_from == origin:
                return z['images'], z['labels']
    images, labels = decode_split(Path(source), split)
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_suffix('.tmp.npz')
    np.savez(tmp, images=images, labels=labels, source=np.array(origin))
    os.replace(tmp, cache)
    return images, labels


if __name__ == '__main__':
    import time
    for split in ('train', 'test'):
        t = time.time()
        x, y = load_split(split)
        print(split, x.shape, x.dtype, np.bincount(y), f'{time.time() - t:.1f}s')
