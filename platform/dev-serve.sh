#!/usr/bin/env bash
# `make run`: the site on http://127.0.0.1:8000 and one Celery worker (both queues, with the
# periodic stuck-submission sweep), no external service. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
$PY -m celery -A fivesigma worker -B -Q scoring,sandbox --concurrency 2 --loglevel INFO &
WORKER=$!
trap 'kill -TERM $WORKER 2>/dev/null; wait $WORKER 2>/dev/null' EXIT INT TERM
echo "fivesigma: http://127.0.0.1:8000 (Ctrl-C stops the site and the worker)"
$PY manage.py runserver 127.0.0.1:8000
