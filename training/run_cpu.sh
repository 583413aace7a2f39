#!/usr/bin/env bash
# This session's CPU pair (2 shared cores): width-8 standard (15 epochs), then width-8 L2 eps=0.5 robust.
# The robust run's planned total epochs K is chosen once, when it first starts, from the time left before
# END_AT and the measured standard epoch time (adversarial epoch ~= 6x standard); K is stored in runs/<run>/args.json
# and reused on --resume. Both runs are resumable: rerunning this script continues where it stopped.
set -euo pipefail
cd "$(dirname "$0")"
PY=${PY:-/usr/bin/python3}
W=${W:-8}
STD_EPOCHS=${STD_EPOCHS:-15}
# 1 thread: on this shared, oversubscribed 2-core machine at nice 19, 2 OpenMP threads were 5-15x SLOWER than 1
# (barrier waits while one thread is descheduled); measured 03:09, see README.md.
THREADS=${THREADS:-1}
END_AT=${END_AT:-04:35}          # wall-clock (UTC) by which the robust schedule should be done
STD=w${W}-standard
ROB=w${W}-l2-0.5

resume_flag() { [ -f "runs/$1/last.pt" ] && echo --resume || true; }

$PY train.py --run $STD --width $W --epochs $STD_EPOCHS --threads $THREADS $(resume_flag $STD)

if [ -f runs/$ROB/args.json ]; then
  K=$($PY -c "import json;print(json.load(open('runs/$ROB/args.json'))['epochs'])")
else
  STD_SECS=$($PY -c "
import csv;r=list(csv.DictReader(open('runs/$STD/log.csv')));s=sorted(float(x['seconds']) for x in r);print(s[len(s)//2])")
  LEFT=$(( $(date -d "$END_AT" +%s) - $(date +%s) ))
  K=$($PY -c "print(max(3, min(15, int($LEFT / (6.0 * $STD_SECS)))))")
  echo "standard epoch median ${STD_SECS}s, ${LEFT}s left before $END_AT -> robust epochs K=$K"
fi
$PY train.py --run $ROB --width $W --epochs $K --eps 0.5 --threads $THREADS $(resume_flag $ROB)
