#!/usr/bin/env bash
# Ship one trained checkpoint into resources/models, measured twice (issue 4):
#   training/ship.sh runs/<run>/last.pt
# 1. export.py: fold BatchNorm, parity checks, PyTorch evaluation (clean 10k; L2 PGD-20 on the first 1,000),
#    model.json + weights.bin + expected.json (+ the sample-photo predictions);
# 2. engine_metrics.py: the app's engine evaluates the exported files with the same protocol (`node out/main/cli.js
#    evaluate`) on the same pixels: the test split as PyTorch decoded it, written as lossless PNGs (png_split.py says
#    why); it records the engine's numbers in model.json and prints both side by side.
# HALF=1 adds step 4, float16 weights where they change nothing (half.py).
# Needs a built app (`npx electron-vite build`) for step 2. THREADS (default 2) for PyTorch and the engine;
# PNG_DIR (default: a temp folder) keeps the PNGs between calls (one folder per dataset and resolution).
set -euo pipefail
cd "$(dirname "$0")/.."
CKPT=${1:?usage: training/ship.sh training/runs/<run>/last.pt}
PY=${PY:-/usr/bin/python3}
THREADS=${THREADS:-2}
BACKEND=${BACKEND:-onnxruntime}  # the app's default backend (the engine falls back, and says so, where it cannot start)

out=$($PY training/export.py --checkpoint "$CKPT" --threads "$THREADS" | tee /dev/stderr | sed -n 's/^wrote \([^ ]*\) .*/\1/p')
[ -n "$out" ] || { echo "ship: export.py did not report the folder it wrote" >&2; exit 1; }
id=$(basename "$out")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# the dataset and resolution of this model (export.py wrote them), for the PNG split
read -r dataset res < <($PY - "$out" <<'EOF2'
import json, sys
from pathlib import Path
sys.path.insert(0, 'training')
from evaluate import spec_dataset
spec = json.loads((Path(sys.argv[1]) / 'model.json').read_text())
print(spec_dataset(spec), spec['input']['height'])
EOF2
)
PNG_DIR=${PNG_DIR:-$tmp/png}
[ -d "$PNG_DIR/test" ] || $PY training/png_split.py --split test --dataset "$dataset" --resolution "$res" --out "$PNG_DIR"
# the engine's evaluation with PyTorch's counts and radii (eval-pytorch.json), recorded in the card
$PY training/engine_metrics.py --model "$out" --png-test "$PNG_DIR/test" --out "$tmp" --threads "$THREADS" --backend "$BACKEND"
# HALF=1: then store the weights as float16 if the engine's evaluation moves by at most 0.1 pp (half.py; the float32
# engine run above is its baseline)
if [ "${HALF:-0}" = 1 ]; then
  $PY training/half.py "resources/models/$id" --png-dir "$PNG_DIR" --baseline "$tmp" --threads "$THREADS" --backend "$BACKEND" \
    || echo "ship: $id keeps float32 weights (half.py said why)" >&2
fi
