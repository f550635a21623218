#!/usr/bin/env bash
# `make run`: the site on http://127.0.0.1:8000 and one Celery worker (both queues, with the
# periodic sweeps in its embedded beat), no external service. The worker is started again
# if it ever exits (a broker it cannot survive), beat with it. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
$PY manage.py sweep_upload_spool  # uploads a killed server left behind
setsid bash -c "while true; do
  $PY -m celery -A fivesigma worker -B -Q scoring,sandbox --concurrency 2 --loglevel INFO
  echo 'fivesigma: the worker exited; starting it again in 5 s' >&2; sleep 5
done" &
WORKER=$!
trap 'kill -TERM -- -$WORKER 2>/dev/null; wait $WORKER 2>/dev/null' EXIT INT TERM
echo "fivesigma: http://127.0.0.1:8000 (Ctrl-C stops the site and the worker)"
$PY manage.py runserver 127.0.0.1:8000
