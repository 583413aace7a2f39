"""PyTorch predictions on the bundled sample photos (resources/samples), recorded in expected.json `samples`.

  /usr/bin/python3 training/sample_predictions.py resources/models/<id> [more model folders]
  /usr/bin/python3 training/sample_predictions.py --png-dir DIR     (PIL's decode of every sample as a lossless PNG)
  /usr/bin/python3 training/sample_predictions.py --checkpoint training/runs/<run>/last.pt
      (a training checkpoint's predictions, printed, nothing written: check the photos before shipping a run)

The photos go through the same pipeline as the app's main process (src/main/cli/images.ts): decode (EXIF
orientation applied), RGB / 255, the largest centered window with the model's aspect ratio, then an AREA (box)
filter resize to the model's size, rows then columns. test/main/models.test.ts decodes the same files with the
app's decoders (jpeg-js, pngjs), runs the engine and compares: real photos, no dataset needed in CI. The decoders
differ by a level here and there (libjpeg vs jpeg-js), so the test also feeds the engine the very pixels PyTorch read:
`--png-dir` writes PIL's decode of each photo as a PNG (lossless), and each sample records `pixelsSha256`, the sha256
of those decoded RGB bytes (HWC, row-major), so a test can prove it reads the same pixels.
"""
from __future__ import annotations

import hashlib
import json
import math
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps

from folded import load_exported

REPO_ROOT = Path(__file__).resolve().parent.parent
SAMPLES_DIR = REPO_ROOT / 'resources' / 'samples'


def js_round(v: float) -> int:
    """Math.round: halves go up (Python's round() goes to even)."""
    return math.floor(v + 0.5)


def center_crop_box(width: int, height: int, tw: int, th: int, fraction: float = 1.0) -> tuple[int, int, int, int]:
    """The largest centered window with the model's aspect ratio, scaled by `fraction` (model.json input.cropFraction:
    the evaluation's center crop, e.g. 128/146) about its centre; as centerCropBox in src/main/cli/images.ts."""
    if width * th > tw * height:
        cw, ch = max(1, js_round(height * tw / th)), height
    else:
        cw, ch = width, max(1, js_round(width * th / tw))
    if fraction < 1:
        cw, ch = max(1, js_round(cw * fraction)), max(1, js_round(ch * fraction))
    return (width - cw) // 2, (height - ch) // 2, cw, ch


def area_matrix(source: int, target: int) -> np.ndarray:
    """[target, source] weights of the box filter, as areaWeights() in src/main/cli/images.ts."""
    s = source / target
    m = np.zeros((target, source), dtype=np.float64)
    for o in range(target):
        lo, hi = o * s, (o + 1) * s
        for i in range(math.floor(lo), min(source, math.ceil(hi))):
            overlap = min(hi, i + 1) - max(lo, i)
            if overlap > 1e-12:
                m[o, i] = overlap / s
    return m


def decode_rgb(path: Path) -> np.ndarray:
    """HWC uint8 RGB as PIL decodes the file (EXIF orientation applied)."""
    with Image.open(path) as im:
        return np.ascontiguousarray(np.asarray(ImageOps.exif_transpose(im).convert('RGB'), dtype=np.uint8))


def load_for_model(path: Path, tw: int, th: int, fraction: float = 1.0) -> np.ndarray:
    """HWC float32 in [0, 1] at the model's size."""
    rgb = decode_rgb(path).astype(np.float32) / np.float32(255)
    h, w = rgb.shape[:2]
    if (w, h) == (tw, th):
        return rgb
    x, y, cw, ch = center_crop_box(w, h, tw, th, fraction)
    box = rgb[y:y + ch, x:x + cw].astype(np.float64)
    rows = np.einsum('ox,yxc->yoc', area_matrix(cw, tw), box)       # horizontal pass
    out = np.einsum('oy,yxc->oxc', area_matrix(ch, th), rows)       # vertical pass
    return np.clip(out, 0, 1).astype(np.float32)


def sample_label(sample: dict, classes: list[str]) -> str | None:
    """The sample's true class among `classes`, if it has one there (samples.json may label for several datasets)."""
    labels = [sample.get('label')] + list((sample.get('labels') or {}).values())
    return next((l for l in labels if l in classes), None)


def sample_predictions(model_dir: Path) -> list[dict]:
    model, spec = load_exported(model_dir)
    return predictions(model.eval(), spec['classes'], spec['input']['height'], spec['input']['width'],
                       spec['input'].get('cropFraction', 1.0))


def checkpoint_predictions(checkpoint: Path) -> tuple[list[dict], list[str]]:
    """A training checkpoint's predictions (the weights export.py would ship, at the crop its card would state)."""
    from data import eval_resize
    from evaluate import load_checkpoint_model
    from train import class_names
    ck = torch.load(checkpoint, map_location='cpu')
    model, args = load_checkpoint_model(ck), ck['args']
    dataset, res = args.get('dataset', 'cifar10'), int(args.get('resolution', 32))
    classes = class_names(dataset, args.get('data'))
    fraction = 1.0 if dataset == 'cifar10' else res / eval_resize(res)
    return predictions(model, classes, res, res, fraction), classes


def predictions(model, classes: list[str], th: int, tw: int, fraction: float) -> list[dict]:
    samples = json.loads((SAMPLES_DIR / 'samples.json').read_text())
    batch = np.stack([load_for_model(SAMPLES_DIR / s['id'], tw, th, fraction) for s in samples])
    with torch.no_grad():
        probs = model(torch.from_numpy(batch).permute(0, 3, 1, 2)).softmax(1)
    top2 = probs.topk(2, dim=1)
    return [{'id': s['id'], 'label': sample_label(s, classes),
             'pixelsSha256': hashlib.sha256(decode_rgb(SAMPLES_DIR / s['id']).tobytes()).hexdigest(),
             'top1': int(top2.indices[i, 0]),
             'top1Margin': round(float(top2.values[i, 0] - top2.values[i, 1]), 6),
             'probabilities': [round(v, 7) for v in probs[i].tolist()]} for i, s in enumerate(samples)]


def update_expected(model_dir: Path) -> list[dict]:
    path = Path(model_dir) / 'expected.json'
    expected = json.loads(path.read_text())
    expected['samples'] = sample_predictions(model_dir)
    path.write_text(json.dumps(expected, indent=2) + '\n')
    return expected['samples']


def write_pngs(out_dir: Path) -> None:
    """PIL's decode of every sample as `<out_dir>/<id>.png` (lossless: the very pixels PyTorch reads)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for s in json.loads((SAMPLES_DIR / 'samples.json').read_text()):
        Image.fromarray(decode_rgb(SAMPLES_DIR / s['id'])).save(out_dir / f"{s['id']}.png", compress_level=1)


if __name__ == '__main__':
    if sys.argv[1:2] == ['--png-dir']:
        write_pngs(Path(sys.argv[2]))
        sys.exit(0)
    if sys.argv[1:2] == ['--checkpoint']:
        rows, classes = checkpoint_predictions(Path(sys.argv[2]))
        labelled = [r for r in rows if r['label']]
        for r in labelled:
            p = r['probabilities']
            print(f"{r['id']:32s} {r['label']:>12s} -> {classes[r['top1']]:12s} {p[r['top1']]:.3f}  "
                  f"({r['label']} {p[classes.index(r['label'])]:.3f})")
        print(f'{sys.argv[2]}: top-1 right on {sum(classes[r["top1"]] == r["label"] for r in labelled)}/{len(labelled)} '
              f'photos labelled with its classes')
        sys.exit(0)
    for d in sys.argv[1:]:
        rows = update_expected(Path(d))
        classes = json.loads((Path(d) / 'model.json').read_text())['classes']
        labelled = [r for r in rows if r['label']]
        right = sum(classes[r['top1']] == r['label'] for r in labelled)
        print(f'{d}: {len(rows)} samples, top-1 right on {right}/{len(labelled)} photos labelled with its classes')
