"""Dataset loading for Robust Lens training: CIFAR-10 (32 px), Imagenette / Imagewoof (160 px) and their union.

`DATASETS` names each dataset's default source, class list and split names (`test` is Imagenette's `val/`).
Imagenette / Imagewoof are image folders `<split>/<wnid>/*.jpg` (directory or `.tar.gz`) with a `classes.json`
(wnid -> class name, label order = sorted wnid) beside the archive; the union `imagenette+imagewoof` has 20 classes
(Imagenette's ten, then Imagewoof's ten). The CIFAR-10 specifics below apply to `cifar10`.

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
SHARED_DATASETS = REPO_ROOT.parent / 'shared' / 'datasets'
DEFAULT_SOURCE = SHARED_DATASETS / 'cifar10'
DEFAULT_CACHE = REPO_ROOT / '.data'
# ImageNet statistics: the 160 px sets are ImageNet crops
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
# evaluation crop of the 160 px sets: resize the short side to round(resolution / 0.875) (146 for 128), center crop
EVAL_CROP_RATIO = 0.875


def eval_resize(resolution: int) -> int:
    return round(resolution / EVAL_CROP_RATIO)


def default_augment(dataset: str) -> str:
    """train.py's --augment default: 4-px pad crops for the 32 px set, random-resized crops for the 160 px sets."""
    return 'pad-crop' if DATASETS[dataset].size == 32 else 'resized-crop'


def read_classes_json(source: Path) -> tuple[list[str], list[str]]:
    """(wnids in label order, class names) from the `classes.json` beside an archive / in a folder."""
    import json
    folder = source if source.is_dir() else source.parent
    mapping = json.loads((folder / 'classes.json').read_text())
    wnids = sorted(mapping)
    return wnids, [mapping[w] for w in wnids]


class Dataset:
    """One dataset: where it is, its classes (folder names and display names) and its native image size."""

    def __init__(self, name: str, sources: list[Path], size: int, split_dirs: dict[str, str]):
        self.name, self.sources, self.size, self.split_dirs = name, sources, size, split_dirs

    def folders_and_names(self, sources: list[Path]) -> tuple[list[str], list[str]]:
        if self.name == 'cifar10':
            return CLASSES, CLASSES
        folders, names = [], []
        for src in sources:
            f, n = read_classes_json(Path(src))
            folders += f
            names += n
        return folders, names


DATASETS = {
    'cifar10': Dataset('cifar10', [DEFAULT_SOURCE], 32, {'train': 'train', 'test': 'test'}),
    'imagenette': Dataset('imagenette', [SHARED_DATASETS / 'imagenette'], 160, {'train': 'train', 'test': 'val'}),
    'imagewoof': Dataset('imagewoof', [SHARED_DATASETS / 'imagewoof'], 160, {'train': 'train', 'test': 'val'}),
    'imagenette+imagewoof': Dataset('imagenette+imagewoof', [SHARED_DATASETS / 'imagenette', SHARED_DATASETS / 'imagewoof'],
                                    160, {'train': 'train', 'test': 'val'}),
}


def _decode_jpeg(data: bytes, size: int = 32) -> np.ndarray:
    from PIL import Image
    with Image.open(io.BytesIO(data)) as im:
        arr = np.asarray(im.convert('RGB'), dtype=np.uint8)
    if arr.shape != (size, size, 3):
        raise ValueError(f'expected a {size}x{size} RGB image, got {arr.shape}')
    return arr


def _finish(entries: list[tuple[int, str, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    # round-robin: rank of the file name within its class, then class (CIFAR's NNNN names are those ranks)
    names: dict[int, list[str]] = {}
    for label, name, _ in entries:
        names.setdefault(label, []).append(name)
    rank = {label: {n: r for r, n in enumerate(sorted(ns))} for label, ns in names.items()}
    entries.sort(key=lambda e: (rank[e[0]][e[1]], e[0]))
    images = np.stack([e[2] for e in entries])
    labels = np.array([e[0] for e in entries], dtype=np.int64)
    return images, labels


def _class_of(rel_path: str, split: str, folders: list[str] = CLASSES) -> tuple[int, str] | None:
    """`.../<split>/<class>/<file>.jpg` -> (class index, file name); None for anything else."""
    parts = rel_path.replace('\\', '/').strip('/').split('/')
    if len(parts) < 3 or parts[-3] != split or not parts[-1].lower().endswith(('.jpg', '.jpeg', '.png')):
        return None
    if parts[-2] not in folders:
        raise ValueError(f'unknown class folder {parts[-2]!r} in {rel_path}')
    return folders.index(parts[-2]), parts[-1]


def _load_folder_tar(tar_path: Path, split: str, folders: list[str] = CLASSES, size: int = 32):
    entries = []
    with tarfile.open(tar_path, 'r:*') as tar:
        for member in tar:
            if not member.isfile():
                continue
            key = _class_of(member.name, split, folders)
            if key is None:
                continue
            entries.append((key[0], key[1], _decode_jpeg(tar.extractfile(member).read(), size)))
    return _finish(entries) if entries else None


def _load_folder_dir(root: Path, split: str, folders: list[str] = CLASSES, size: int = 32):
    split_dir = root / split
    if not split_dir.is_dir():
        return None
    entries = []
    for class_dir in split_dir.iterdir():
        if not class_dir.is_dir():
            continue
        for f in class_dir.iterdir():
            key = _class_of(str(f.relative_to(root)), split, folders)
            if key is not None:
                entries.append((key[0], key[1], _decode_jpeg(f.read_bytes(), size)))
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
    tmp = cache.with_suffix(f'.{os.getpid()}.tmp.npz')  # parallel runs decode at once
    np.savez(tmp, images=images, labels=labels, source=np.array(origin))
    os.replace(tmp, cache)
    return images, labels


def _load_folder_source(source: Path, split_dir: str, folders: list[str], size: int):
    source = Path(source)
    if source.is_dir():
        result = _load_folder_dir(source, split_dir, folders, size)
        if result is not None:
            return result
        archives = sorted(source.glob('*.tar.gz'))
    else:
        archives = [source]
    for a in archives:
        result = _load_folder_tar(a, split_dir, folders, size)
        if result is not None:
            return result
    raise FileNotFoundError(f'no {split_dir}/ image folders found under {source}')


def load_dataset_split(dataset: str, split: str, sources: list[Path] | None = None, cache_dir: Path = DEFAULT_CACHE):
    """uint8 NHWC images at the dataset's native size, int64 labels, class names; canonical order; cached.

    `split` is 'train' or 'test' ('test' = Imagenette's val/). `sources` overrides the dataset's default folders
    (one per component of a union, each holding the archive or the extracted folders and `classes.json`).
    """
    ds = DATASETS[dataset]
    if isinstance(sources, (str, Path)):
        sources = [sources]
    sources = [Path(s) for s in (sources or ds.sources)]
    _, names = ds.folders_and_names(sources)
    if dataset == 'cifar10':
        images, labels = load_split(split, sources[0], cache_dir)
        return images, labels, names
    cache = Path(cache_dir) / f'{dataset}-{split}.npz'
    origin = '|'.join(str(s.resolve()) for s in sources)
    if cache.is_file():
        with np.load(cache) as z:
            if str(z['source']) == origin:
                return z['images'], z['labels'], names
    parts, offset = [], 0
    for src in sources:
        folders, _ = read_classes_json(src)
        x, y = _load_folder_source(src, ds.split_dirs[split], folders, ds.size)
        parts.append((x, y + offset))
        offset += len(folders)
    if len(parts) == 1:
        images, labels = parts[0]
    else:  # union: keep the round-robin order over all classes
        images = np.concatenate([p[0] for p in parts])
        labels = np.concatenate([p[1] for p in parts])
        rank = np.zeros_like(labels)
        for c in np.unique(labels):
            rank[labels == c] = np.arange((labels == c).sum())
        order = np.lexsort((labels, rank))
        images, labels = np.ascontiguousarray(images[order]), labels[order]
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_suffix(f'.{os.getpid()}.tmp.npz')  # parallel runs decode at once
    np.savez(tmp, images=images, labels=labels, source=np.array(origin))
    os.replace(tmp, cache)
    return images, labels, names


def center_crop_resize(images_u8: np.ndarray, resolution: int) -> np.ndarray:
    """The evaluation preprocessing of the 160 px sets: resize the short side to eval_resize(resolution) (PIL bilinear,
    antialiased), then the centered resolution x resolution crop. uint8 NHWC in, uint8 NHWC out."""
    from PIL import Image
    if images_u8.shape[1] == resolution and images_u8.shape[2] == resolution:
        return images_u8
    side = eval_resize(resolution)
    out = np.empty((len(images_u8), resolution, resolution, 3), dtype=np.uint8)
    lo = (side - resolution) // 2
    for i, im in enumerate(images_u8):
        h, w = im.shape[:2]
        scale = side / min(h, w)
        resized = np.asarray(Image.fromarray(im).resize((round(w * scale), round(h * scale)), Image.BILINEAR))
        top, left = (resized.shape[0] - resolution) // 2, (resized.shape[1] - resolution) // 2
        out[i] = resized[top:top + resolution, left:left + resolution]
    return out


def load_eval_split(dataset: str, resolution: int, sources: list[Path] | None = None, cache_dir: Path = DEFAULT_CACHE):
    """The test split as the model sees it in evaluation (center crop at `resolution`), cached; (images, labels, names)."""
    images, labels, names = load_dataset_split(dataset, 'test', sources, cache_dir)
    if images.shape[1] == resolution:
        return images, labels, names
    cache = Path(cache_dir) / f'{dataset}-test-eval{resolution}.npz'
    if cache.is_file():
        with np.load(cache) as z:
            if len(z['labels']) == len(labels) and np.array_equal(z['labels'], labels):
                return z['images'], labels, names
    cropped = center_crop_resize(images, resolution)
    tmp = cache.with_suffix(f'.{os.getpid()}.tmp.npz')  # parallel runs decode at once
    np.savez(tmp, images=cropped, labels=labels)
    os.replace(tmp, cache)
    return cropped, labels, names


if __name__ == '__main__':
    import time
    for split in ('train', 'test'):
        t = time.time()
        x, y = load_split(split)
        print(split, x.shape, x.dtype, np.bincount(y), f'{time.time() - t:.1f}s')
