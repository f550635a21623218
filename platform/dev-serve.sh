#!/usr/bin/env bash
# `make run`: the site on http://127.0.0.1:$PORT (default 8000) and one Celery worker (both
# queues, the periodic sweeps, the demos' preparation; started again if it exits), no
# external service.
# The database is migrated and the demo challenges are listed before the site starts; the
# worker then prepares their data, starter kits and benchmark rows in the background, one
# progress line per demo at least every 5 s. Ctrl-C stops the site and the worker.
#
# PORT and DEMO_SIZE (full, small, tiny) come from make; FIVESIGMA_RUN_STARTED (seconds since
# the epoch) is when `make run` started, so that the time to the first page includes the
# installation.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
PORT=${PORT:-8000}
DEMO_SIZE=${DEMO_SIZE:-full}
STARTED=${FIVESIGMA_RUN_STARTED:-$(date +%s)}
URL="http://127.0.0.1:$PORT/"

# True when something accepts connections on the port.
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; }

# The status line of GET / on the site, or nothing when nothing answers on the port.
home_status() {
    { exec 3<>"/dev/tcp/127.0.0.1/$PORT"; } 2>/dev/null || return 0
    printf 'GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
    timeout 5 head -n 1 <&3 || true
    exec 3<&-
}

# Once the home page answers: say so, with the time since `make run` started.
announce_first_page() {
    until [[ "$(home_status)" == *" 200 "* ]]; do sleep 0.5; done
    echo "fivesigma: $URL answers, $(($(date +%s) - STARTED)) s after make run started." \
        "A worker starts now and prepares the demos not yet prepared in the background" \
        "(progress lines below, and on each challenge's page). Ctrl-C stops the site and" \
        "the worker."
}

if port_in_use; then
    echo "fivesigma: port $PORT is in use; stop what listens there or choose another port: make run PORT=8001" >&2
    exit 1
fi
$PY manage.py sweep_upload_spool  # uploads a killed server left behind
echo "fivesigma: migrating the database and listing the demo challenges..."
$PY manage.py setup_demo --migrate --background --size "$DEMO_SIZE"

# The worker starts once the first page has answered, so that its start-up does not delay
# it, and runs at a lower priority, so that the pages stay quick while it prepares the demos;
# three processes: one demo each and one for scoring submissions meanwhile. It runs in a
# process group of its own, which the way out stops as a whole (TERM, then KILL after 10 s)
# rather than waiting for the demo step it is running: the next `make run` resumes the
# preparation where it stopped.
stop_worker() {
    [[ -n "$1" ]] || return 0
    kill -TERM -- "-$1" 2>/dev/null || return 0
    for _ in $(seq 20); do
        kill -0 -- "-$1" 2>/dev/null || return 0
        sleep 0.5
    done
    kill -KILL -- "-$1" 2>/dev/null || true
}
# make installs the packages without compiling them to bytecode (two thirds of pip's time);
# they are compiled once, at the lowest priority, after the first page (one process, which
# leaves .venv/.compiled behind when done).
COMPILE_ONCE="import compileall, pathlib
compileall.compile_dir('.venv/lib', quiet=2, workers=1)
pathlib.Path('.venv/.compiled').touch()"
start_worker_after_first_page() {
    local worker= compiler=
    trap 'kill -TERM $compiler 2>/dev/null || true; stop_worker "$worker"; exit 0' INT TERM HUP
    announce_first_page
    # started again if it ever exits (a broker it cannot survive), beat with it
    setsid nice -n 10 bash -c "while true; do
        $PY -m celery -A fivesigma worker -B -Q scoring,sandbox --concurrency 3 --loglevel INFO
        echo 'fivesigma: the worker exited; starting it again in 5 s' >&2; sleep 5
    done" &
    worker=$!
    echo "$worker" > "$WORKER_GROUP_FILE"
    if [[ ! -e .venv/.compiled ]]; then
        nice -n 19 $PY -c "$COMPILE_ONCE" &
        compiler=$!
    fi
    wait $worker
}
# The worker's process group is also written to a file, so that the way out stops it even
# when the function above was stopped before its own trap could.
WORKER_GROUP_FILE=$(mktemp "${TMPDIR:-/tmp}/fivesigma-worker.XXXXXX")
start_worker_after_first_page &
WORKER=$!
stop_all() {
    kill -TERM "$WORKER" 2>/dev/null || true
    wait "$WORKER" 2>/dev/null || true
    stop_worker "$(cat "$WORKER_GROUP_FILE" 2>/dev/null)"
    rm -f "$WORKER_GROUP_FILE"
}
trap stop_all EXIT INT TERM HUP
# migrate has run the system checks
$PY manage.py runserver --skip-checks "127.0.0.1:$PORT"
