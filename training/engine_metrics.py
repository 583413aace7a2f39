"""Record the app engine's own evaluation in model.json `metrics.engine` (the second measurement of issue 4).

Run the engine and record in one go (what ship.sh does; half.py uses run_engine_evaluation too):
  /usr/bin/python3 training/engine_metrics.py --model resources/models/<id> --png-test /tmp/cifar10-png/test \
       --out /tmp/eval [--threads 2] [--backend onnxruntime]
It runs the CLI twice with the counts and radii of the card's PyTorch evaluation (eval-pytorch.json): clean on the
first cleanCount images, L2 PGD-20 on the first robustCount at every radius, on PNGs that are already the model's size
(--crop-fraction 1: a card's input.cropFraction would crop them a second time). Or, from CSVs made by hand:
  /usr/bin/python3 training/png_split.py --split test --out /tmp/cifar10-png
  node out/main/cli.js evaluate --model <id> --data /tmp/cifar10-png/test --limit 10000 --eps-list 0 --out /tmp/eval-clean
  node out/main/cli.js evaluate --model <id> --data /tmp/cifar10-png/test --limit 1000 --eps-list 0.25,0.5,1 \
       --out /tmp/eval-pgd
  /usr/bin/python3 training/engine_metrics.py --model resources/models/<id> --clean-csv /tmp/eval-clean/evaluate.csv \
       --robust-csv /tmp/eval-pgd/evaluate.csv

The CLI's --limit takes images round-robin over classes in file-name order: the same order as training/data.py.
Prints the PyTorch vs engine differences in percentage points.
"""
import argparse
import csv
import json
import subprocess
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

EVALUATED_WITH = ('npm run lab -- evaluate (TF.js wasm engine) on the dev JPEG test set as PyTorch decoded it (PIL, written '
                  'as lossless PNG by png_split.py), clean 10k, L2 PGD-20 step 2.5ε/20, no random start, best iterate, '
                  'on first 1000 (round-robin order)')


def rows(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def engine_accuracies(clean_csv: Path, robust_csv: Path, model_id: str, n_clean: int, n_robust: int) -> dict:
    """{'clean': acc, 'l2': {eps: acc}} of one model from the CLI's evaluate CSVs (ship.sh's two runs), checked to
    cover what PyTorch measured: n_clean images clean, n_robust per radius."""
    clean_rows = [r for r in rows(clean_csv) if r['model'] == model_id and float(r['eps']) == 0]
    if not clean_rows or int(clean_rows[0]['images']) != n_clean:
        raise SystemExit(f'{clean_csv}: need an eps=0 row over {n_clean} images for {model_id}')
    robust = {}
    for r in rows(robust_csv):
        if r['model'] == model_id and float(r['eps']) > 0:
            if int(r['images']) != n_robust or r['threat'] != 'l2':
                raise SystemExit(f'{robust_csv}: expected L2 rows over {n_robust} images, got {r}')
            robust[str(float(r['eps']))] = float(r['accuracy'])
    return {'clean': float(clean_rows[0]['accuracy']), 'l2': robust}


def run_engine_evaluation(model_dir: Path, png_test: Path, n_clean: int, n_robust: int, eps: list[str], threads: int,
                          backend: str, out: Path) -> dict:
    """The app's CLI evaluation of a model folder (clean, then PGD-20 at every radius) into out/clean and out/pgd;
    returns {'clean': acc, 'l2': {eps: acc}}."""
    model_id = json.loads((model_dir / 'model.json').read_text())['id']
    common = ['node', 'out/main/cli.js', 'evaluate', '-q', '--model', str(model_dir.resolve()), '--data', str(png_test.resolve()),
              '--crop-fraction', '1', '--threads', str(threads), '--backend', backend]
    subprocess.run(common + ['--limit', str(n_clean), '--eps-list', '0', '--out', str((out / 'clean').resolve())],
                   cwd=REPO_ROOT, check=True, stdout=subprocess.DEVNULL)
    subprocess.run(common + ['--limit', str(n_robust), '--eps-list', ','.join(eps), '--out', str((out / 'pgd').resolve())],
                   cwd=REPO_ROOT, check=True, stdout=subprocess.DEVNULL)
    return accuracies_in(out, model_id, n_clean, n_robust)


def accuracies_in(folder: Path, model_id: str, n_clean: int, n_robust: int) -> dict:
    """The engine's accuracies from a folder holding run_engine_evaluation's clean/ and pgd/ evaluate.csv."""
    return engine_accuracies(folder / 'clean' / 'evaluate.csv', folder / 'pgd' / 'evaluate.csv', model_id, n_clean, n_robust)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--model', type=Path, required=True)
    p.add_argument('--png-test', type=Path, help='run the engine on this PNG folder (png_split.py) ...')
    p.add_argument('--out', type=Path, help='... writing its CSVs under this folder (clean/, pgd/)')
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--clean-csv', type=Path, help='or read a clean run made by hand ...')
    p.add_argument('--robust-csv', type=Path, help='... and its PGD run')
    p.add_argument('--backend', default='wasm', help='the engine backend (run, or the CSVs were measured on)')
    args = p.parse_args()
    if not ((args.png_test and args.out) or (args.clean_csv and args.robust_csv)):
        p.error('give --png-test and --out (run the engine) or --clean-csv and --robust-csv (read its CSVs)')
    spec = json.loads((args.model / 'model.json').read_text())
    # the engine must have measured what PyTorch measured: the same image counts and radii (eval-pytorch.json)
    pytorch = json.loads((args.model / 'eval-pytorch.json').read_text())
    n_clean, n_robust = pytorch.get('cleanCount', 10000), pytorch.get('robustCount', 1000)
    if args.png_test:
        measured = run_engine_evaluation(args.model, args.png_test, n_clean, n_robust, list(pytorch['robust']['l2']),
                                         args.threads, args.backend, args.out)
    else:
        measured = engine_accuracies(args.clean_csv, args.robust_csv, spec['id'], n_clean, n_robust)
    record(args.model, measured, n_clean, n_robust, args.backend)


def record(model_dir: Path, measured: dict, n_clean: int, n_robust: int, backend: str) -> None:
    """Write the engine's accuracies (run_engine_evaluation / engine_accuracies) into model.json `metrics.engine` and
    print them beside PyTorch's."""
    spec_path = model_dir / 'model.json'
    spec = json.loads(spec_path.read_text())
    robust = measured['l2']
    evaluated_with = EVALUATED_WITH if n_clean == 10000 and backend == 'wasm' else (
        f'npm run lab -- evaluate (the app\'s engine, backend {backend}) on the test images as PyTorch fed them to the model (PIL decode, '
        f'center crop where larger; written as lossless PNG by png_split.py), clean {n_clean}, L2 PGD-20 step 2.5ε/20, no random start, best iterate, on '
        f'first {n_robust} (round-robin order)')
    engine = {'clean': measured['clean'], 'robust': {'l2': robust}, 'evaluatedWith': evaluated_with}
    spec['metrics']['engine'] = engine
    spec_path.write_text(json.dumps(spec, indent=2) + '\n')
    m = spec['metrics']
    print(f'{spec["id"]}: clean PyTorch {100 * m["clean"]:.2f} % engine {100 * engine["clean"]:.2f} % '
          f'(diff {100 * (engine["clean"] - m["clean"]):+.2f} pp)')
    for k, v in robust.items():
        ref = m['robust']['l2'][k]
        print(f'  L2 eps {k}: PyTorch {100 * ref:.2f} % engine {100 * v:.2f} % (diff {100 * (v - ref):+.2f} pp)')


if __name__ == '__main__':
    main()
