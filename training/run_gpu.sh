#!/usr/bin/env bash
# Retrain the full set at width 64 (the usual CIFAR ResNet-18) on one CUDA GPU, then export + evaluate:
#   training/run_gpu.sh            (W=64 STD_EPOCHS=30 ROB_EPOCHS=50 by default; EPS1=0 skips the eps=1.0 model)
# Every step is resumable: rerun the same command after an interruption.
# Untested on a GPU in the session that wrote it (no GPU was available); the CPU path is the same code.
set -euo pipefail
cd "$(dirname "$0")"
PY=${PY:-python3}
W=${W:-64}
STD_EPOCHS=${STD_EPOCHS:-30}
ROB_EPOCHS=${ROB_EPOCHS:-50}
EPS1=${EPS1:-1}
resume_flag() { [ -f "runs/$1/last.pt" ] && echo --resume || true; }

$PY train.py --run w$W-standard --width $W --epochs $STD_EPOCHS --device cuda $(resume_flag w$W-standard)
$PY train.py --run w$W-l2-0.5 --width $W --epochs $ROB_EPOCHS --eps 0.5 --device cuda $(resume_flag w$W-l2-0.5)
[ "$EPS1" = 1 ] && $PY train.py --run w$W-l2-1.0 --width $W --epochs $ROB_EPOCHS --eps 1.0 --device cuda $(resume_flag w$W-l2-1.0)

for run in w$W-standard w$W-l2-0.5 $([ "$EPS1" = 1 ] && echo w$W-l2-1.0); do
  $PY export.py --checkpoint runs/$run/last.pt --device cuda
done
