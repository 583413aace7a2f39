#!/usr/bin/env bash
# The Imagenette 128 px pair on this 2-core CPU (issue 9): ResNet-18 (torchvision layout) at width W (default 16),
# standard 16 epochs and L2 eps=1.5 robust 12 epochs with the fast recipe (2 PGD steps of 2.5*eps/2 from a random
# start on the eps-sphere, PGD-10 catastrophic-overfitting check every epoch), both at once with 1 thread each; then
# both shipped (export + PyTorch and engine evaluation, training/ship.sh), the strong attack and the phenomenon
# measured (evaluate.py --strong, phenomenon.py) and the model table regenerated.
# RUNS (default training/runs) can point outside the work tree so a kept machine keeps the checkpoints.
# Resumable: rerun the same command to continue.
set -euo pipefail
cd "$(dirname "$0")"
PY=${PY:-/usr/bin/python3}
W=${W:-16}
RUNS=${RUNS:-runs}
STD=in-w$W-std ROB=in-w$W-l2-1.5
mkdir -p "$RUNS"
# decode the dataset once before the parallel runs
$PY -c 'from data import load_dataset_split, load_eval_split; load_dataset_split("imagenette", "train"); load_eval_split("imagenette", 128)'
pids=()
start_run() {
  local run=$1
  shift
  local resume=()
  [ -f "$RUNS/$run/last.pt" ] && resume=(--resume)
  $PY train.py --run "$run" --runs-dir "$RUNS" --dataset imagenette --width "$W" --threads 1 "$@" "${resume[@]}" >> "$RUNS/$run.log" 2>&1 &
  pids+=($!)
}
wait_runs() {
  for pid in "${pids[@]}"; do wait "$pid"; done
  pids=()
}
start_run "$STD" --epochs 16
start_run "$ROB" --epochs 12 --eps 1.5 --attack-steps 2 --random-start 1
wait_runs
PNG_DIR=$(mktemp -d)
trap 'rm -rf "$PNG_DIR"' EXIT
for run in "$STD" "$ROB"; do PNG_DIR=$PNG_DIR ./ship.sh "$(realpath "$RUNS/$run/last.pt")"; done
pair=../resources/models/imagenette128-resnet18w$W
$PY phenomenon.py --standard "$pair-standard" --robust "$pair-l2-1.5" --grid
$PY model_table.py
