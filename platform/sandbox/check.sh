#!/bin/sh
# Check that this machine can run code submissions: bubblewrap present and confining.
# Usage: platform/sandbox/check.sh   (from the repository root; uses .venv when present)
set -eu
cd "$(dirname "$0")/../.."
PYTHON=python3
[ -x .venv/bin/python ] && PYTHON=.venv/bin/python
exec "$PYTHON" -m runner check
