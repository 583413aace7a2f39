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
mkdir -p runs
# decode the dataset once before the parallel runs (a process that decoded it trained ~3x slower, README.md)
$PY -c 'from data import load_split; load_split("train"); load_split("test")'
# start_run RUN ARGS...: in the background, 1 thread, log in runs/RUN.log; --resume when RUN has a checkpoint.
# wait_runs: waits for each, so that a failed run stops the script (a bare `wait` would return 0)
pids=()
start_run() {
  local run=$1
  shift
  local resume=()
  [ -f "runs/$run/last.pt" ] && resume=(--resume)
  $PY train.py --run "$run" --width "$W" --threads 1 "$@" "${resume[@]}" > "runs/$run.log" 2>&1 &
  pids+=($!)
}
wait_runs() {
  for pid in "${pids[@]}"; do wait "$pid"; done
  pids=()
}
start_run "${RUNS[0]}" --epochs 30
start_run "${RUNS[1]}" --epochs 12 --eps 0.5
start_run "${RUNS[2]}" --epochs 15 --eps 1.0
wait_runs
WARM=(w$W-l2-0.5-warm10 w$W-l2-1.0-warm10)
start_run "${WARM[0]}" --epochs 10 --lr 0.04 --eps 0.5 --init-from "runs/${RUNS[1]}/last.pt"
start_run "${WARM[1]}" --epochs 10 --lr 0.04 --eps 1.0 --init-from "runs/${RUNS[2]}/last.pt"
wait_runs
# one PNG copy of the test split for the three engine evaluations (ship.sh would write one per call)
PNG_DIR=$(mktemp -d)
trap 'rm -rf "$PNG_DIR"' EXIT
for run in "${RUNS[0]}" "${WARM[@]}"; do PNG_DIR=$PNG_DIR ./ship.sh "$PWD/runs/$run/last.pt"; done
$PY model_table.py
