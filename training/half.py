"""Store a shipped model's weights as float16 where the engine's evaluation shows no difference (issue 9, item 6).

  /usr/bin/python3 training/half.py resources/models/<id> [--png-dir DIR] [--baseline DIR] [--threads N]

For one model folder (float32 weights, shipped by ship.sh):
1. the app's engine evaluates the float32 folder with ship.sh's protocol (clean on every test image, L2 PGD-20 on the
   first robustCount at every ε of the card), unless --baseline names a folder holding that run's clean/ and pgd/
   evaluate.csv (kept from ship.sh);
2. the weights are rounded to float16 (`<f2`, manifest dtype float16, new weightsSha256), expected.json is
   regenerated from the float16 weights as PyTorch reads them back, PyTorch re-evaluates them (eval-pytorch.json,
   metrics.clean / robust) and the engine does too (metrics.engine);
3. all of step 2 happens on a copy: if the engine's float16 numbers differ from its float32 numbers by more than
   --tolerance-pp (0.1) anywhere, the folder is left as it was and the script exits 1. Otherwise the card gains metrics.float16: both engine
   measurements and the largest difference, and the folder's files are replaced. A strong attack or large-ε transfer
   rates already in the card (metrics.strong, metrics.largeEpsTransfer) stay as measured on the float32 weights;
   metrics.float16 says so (ship.sh HALF=1 converts before they are measured).

The PNG split is written once per dataset and resolution under --png-dir (png_split.py), as ship.sh does.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import torch

from data import load_eval_split
from engine_metrics import accuracies_in, record, run_engine_evaluation
from evaluate import evaluate, evaluated_with, spec_dataset
from export import write_expected
from folded import load_exported
from reference import read_weights

REPO_ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


def largest_difference_pp(a: dict, b: dict) -> float:
    if set(a['l2']) != set(b['l2']):
        raise SystemExit(f'the two evaluations measured different radii: {sorted(a["l2"])} vs {sorted(b["l2"])}')
    return 100 * max([abs(a['clean'] - b['clean'])] + [abs(a['l2'][k] - b['l2'][k]) for k in a['l2']])


def to_float16(model_dir: Path, spec: dict) -> str:
    """Rewrite weights.bin as float16 and the manifest to match; returns the new sha256."""
    tensors = read_weights(model_dir, spec)
    names = [w['name'] for group in spec['weightsManifest'] for w in group['weights']]
    if len(spec['weightsManifest']) != 1 or spec['weightsManifest'][0]['paths'] != ['weights.bin']:
        raise SystemExit(f'{model_dir}: expected one weights.bin (as export.py writes it)')
    raw = b''.join(tensors[n].astype('<f2').tobytes() for n in names)
    sha = hashlib.sha256(raw).hexdigest()
    (model_dir / 'weights.bin').write_bytes(raw)
    for w in spec['weightsManifest'][0]['weights']:
        w['dtype'] = 'float16'
    spec['weightsSha256'] = sha
    return sha


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('model', type=Path, help='resources/models/<id>')
    p.add_argument('--png-dir', type=Path, default=None, help='the PNG split (default: a temporary folder)')
    p.add_argument('--baseline', type=Path, default=None, help="a folder with clean/ and pgd/ evaluate.csv of the float32 weights")
    p.add_argument('--tolerance-pp', type=float, default=0.1)
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--backend', default='onnxruntime')
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    model_dir: Path = args.model
    spec = json.loads((model_dir / 'model.json').read_text())
    if any(w['dtype'] != 'float32' for g in spec['weightsManifest'] for w in g['weights']):
        print(f'{model_dir}: already float16, nothing to do')
        return 0
    pytorch = json.loads((model_dir / 'eval-pytorch.json').read_text())
    n_clean, n_robust = pytorch['cleanCount'], pytorch['robustCount']
    eps = list(pytorch['robust']['l2'])
    dataset, res = spec_dataset(spec), spec['input']['height']

    work = Path(tempfile.mkdtemp(prefix='half-'))
    try:
        png = args.png_dir or work / 'png'
        if not (png / 'test').is_dir():
            subprocess.run([PY, 'training/png_split.py', '--split', 'test', '--dataset', dataset, '--resolution', str(res),
                            '--out', str(png)], cwd=REPO_ROOT, check=True)
        if args.baseline:
            before = accuracies_in(args.baseline, spec['id'], n_clean, n_robust)
        else:
            before = run_engine_evaluation(model_dir, png / 'test', n_clean, n_robust, eps, args.threads, args.backend, work / 'f32')
        print(f'engine, float32 weights: {before}', flush=True)

        # everything happens on a copy: the model folder changes only at the end, and only if float16 changes nothing
        candidate = work / spec['id']
        shutil.copytree(model_dir, candidate)
        old_sha = spec['weightsSha256']
        sha = to_float16(candidate, spec)
        (candidate / 'model.json').write_text(json.dumps(spec, indent=2) + '\n')
        model, _ = load_exported(candidate)
        write_expected(candidate, model, res, sha)
        images, labels, _ = load_eval_split(dataset, res, None)
        metrics = evaluate(model, images[:n_clean], labels[:n_clean], [float(e) for e in eps], n_robust)
        metrics['evaluatedWith'] = evaluated_with(dataset, n_clean, metrics['robustCount'])
        metrics['weightsSha256'] = sha
        (candidate / 'eval-pytorch.json').write_text(json.dumps(metrics, indent=2) + '\n')
        after = run_engine_evaluation(candidate, png / 'test', n_clean, n_robust, eps, args.threads, args.backend, work / 'f16')
        print(f'engine, float16 weights: {after}', flush=True)
        worst = largest_difference_pp(before, after)
        if round(worst, 6) > args.tolerance_pp:  # 0.1 pp is one image in 1,000: allowed
            print(f'{model_dir}: float16 changes the engine\'s evaluation by {worst:.2f} pp (> {args.tolerance_pp}); '
                  f'keeping float32', file=sys.stderr)
            return 1

        spec = json.loads((candidate / 'model.json').read_text())
        m = spec['metrics']
        m['clean'], m['robust'], m['evaluatedWith'] = metrics['clean'], metrics['robust'], metrics['evaluatedWith']
        earlier = [k for k in ('strong', 'largeEpsTransfer') if k in m]
        m['float16'] = {
            'float32WeightsSha256': old_sha,
            'engineFloat32': before,
            'engineFloat16': after,
            'largestDifferencePp': round(worst, 4),
            'note': 'weights stored as float16 because the engine\'s evaluation (clean and PGD-20 at every radius) moved '
                    f'by at most {worst:.2f} pp' + (f'; metrics.{" and metrics.".join(earlier)} {"were" if len(earlier) > 1 else "was"} '
                                                     f'measured on the float32 weights' if earlier else ''),
        }
        (candidate / 'model.json').write_text(json.dumps(spec, indent=2) + '\n')
        # metrics.engine from the float16 run, with its evaluatedWith, as ship.sh records it
        record(candidate, after, n_clean, n_robust, args.backend)
        for name in ('weights.bin', 'expected.json', 'eval-pytorch.json', 'model.json'):  # model.json last: its sha
            shutil.copyfile(candidate / name, model_dir / f'.{name}.tmp')
            (model_dir / f'.{name}.tmp').replace(model_dir / name)
        print(f'{spec["id"]}: float16 kept, largest engine difference {worst:.2f} pp; PyTorch clean {m["clean"]:.4f} '
              f'L2 {m["robust"]["l2"]}')
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main())
