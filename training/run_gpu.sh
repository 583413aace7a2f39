#!/usr/bin/env bash
# Retrain the full set at width 64 (the usual CIFAR ResNet-18) on one CUDA GPU, then export + evaluate:
#   training/run_gpu.sh            (W=64 STD_EPOCHS=30 ROB_EPOCHS=50 by default; EPS1=0 skips the eps=1.0 model)
# Every step is resumable: rerun the same command after an interruption.
# Not yet run on a GPU (none was lent to the sessions so far). Its plumbing (training, resume, export of all three
# models) is exercised on CPU by training/test_pipeline.py with DEVICE=cpu, a tiny width and a fake dataset, through
# the knobs below: DEVICE, RUNS (runs folder), TRAIN_ARGS / EXPORT_ARGS (extra arguments for train.py / export.py).
set -euo pipefail
cd "$(dirname "$0")"
PY=${PY:-python3}
W=${W:-64}
STD_EPOCHS=${STD_EPOCHS:-30}
ROB_EPOCHS=${ROB_EPOCHS:-50}
EPS1=${EPS1:-1}
DEVICE=${DEVICE:-cuda}
RUNS=${RUNS:-runs}
read -r -a TRAIN_EXTRA <<< "${TRAIN_ARGS:-}"
read -r -a EXPORT_EXTRA <<< "${EXPORT_ARGS:-}"
resume_flag() { [ -f "$RUNS/$1/last.pt" ] && echo --resume || true; }
train() { $PY train.py --runs-dir "$RUNS" --device "$DEVICE" "${TRAIN_EXTRA[@]}" "$@"; }

train --run w$W-standard --width $W --epochs $STD_EPOCHS $(resume_flag w$W-standard)
train --run w$W-l2-0.5 --width $W --epochs $ROB_EPOCHS --eps 0.5 $(resume_flag w$W-l2-0.5)
[ "$EPS1" = 1 ] && train --run w$W-l2-1.0 --width $W --epochs $ROB_EPOCHS --eps 1.0 $(resume_flag w$W-l2-1.0)

for run in w$W-standard w$W-l2-0.5 $([ "$EPS1" = 1 ] && echo w$W-l2-1.0); do
  $PY export.py --checkpoint "$RUNS/$run/last.pt" --device "$DEVICE" "${EXPORT_EXTRA[@]}"
done
