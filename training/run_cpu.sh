#!/usr/bin/env bash
# The shipped CPU set at width 8 (2-core machine, no GPU): standard 30 epochs, L2 eps=0.5 12 epochs and L2 eps=1.0
# 15 epochs, all three at once with 1 thread each (~2 h here); then a 10-epoch warm restart of each robust model (their
# first schedules ended while they were still improving; ~1 h, both at once); then the standard and the two restarted
# models shipped (export + PyTorch and engine evaluation, training/ship.sh) and the model table regenerated.
# Resumable: rerun the same command to continue.
set -euo pipefail
cd "$(dirname "$0")"
PY=${PY:-/usr/bin/python3}
W=${W:-8}
RUNS=(w$W-standard-e30 w$W-l2-0.5-e12 w$W-l2-1.0-e15)
ARGS=("--epochs 30" "--epochs 12 --eps 0.5" "--epochs 15 --eps 1.0")
mkdir -p runs
# decode the dataset once before the parallel runs (a process that decoded it trained ~3x slower, README.md)
$PY -c 'from data import load_split; load_split("train"); load_split("test")'
pids=()
for i in 0 1 2; do
  resume=$([ -f "runs/${RUNS[$i]}/last.pt" ] && echo --resume || true)
  # shellcheck disable=SC2086
  $PY train.py --run "${RUNS[$i]}" --width "$W" --threads 1 ${ARGS[$i]} $resume > "runs/${RUNS[$i]}.log" 2>&1 &
  pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid"; done
WARM=(w$W-l2-0.5-warm10 w$W-l2-1.0-warm10)
WARM_ARGS=("--eps 0.5 --init-from runs/${RUNS[1]}/last.pt" "--eps 1.0 --init-from runs/${RUNS[2]}/last.pt")
pids=()
for i in 0 1; do
  resume=$([ -f "runs/${WARM[$i]}/last.pt" ] && echo --resume || true)
  # shellcheck disable=SC2086
  $PY train.py --run "${WARM[$i]}" --width "$W" --threads 1 --epochs 10 --lr 0.04 ${WARM_ARGS[$i]} $resume > "runs/${WARM[$i]}.log" 2>&1 &
  pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid"; done
# one PNG copy of the test split for the three engine evaluations (ship.sh would write one per call)
PNG_DIR=$(mktemp -d)
trap 'rm -rf "$PNG_DIR"' EXIT
for run in "${RUNS[0]}" "${WARM[@]}"; do PNG_DIR=$PNG_DIR ./ship.sh "$PWD/runs/$run/last.pt"; done
$PY model_table.py
