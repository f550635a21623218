#!/usr/bin/env bash
# Start PostgreSQL and Redis from Debian's packages on this machine (used by CI; also handy
# for a one-machine production trial). Prints the DATABASE_URL and CELERY_BROKER_URL to use.
#   bash platform/services.sh install   # apt-get the packages (root)
#   bash platform/services.sh start     # start both, create the database and its user
set -euo pipefail
DB_NAME=${FIVESIGMA_DB_NAME:-fivesigma}
DB_USER=${FIVESIGMA_DB_USER:-fivesigma}
DB_PASSWORD=${FIVESIGMA_DB_PASSWORD:-fivesigma}
REDIS_PORT=${FIVESIGMA_REDIS_PORT:-6379}

install() {
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql redis-server bubblewrap chromium chromium-driver wrk
}

start() {
  start_services >&2  # progress to stderr: stdout carries only the two variables
  echo "DATABASE_URL=postgres://$DB_USER:$DB_PASSWORD@127.0.0.1:5432/$DB_NAME"
  echo "CELERY_BROKER_URL=redis://127.0.0.1:$REDIS_PORT/0"
}

start_services() {
  local version
  version=$(ls /etc/postgresql | sort -n | tail -1)
  pg_ctlcluster "$version" main start 2>/dev/null || pg_ctlcluster "$version" main status >/dev/null
  for _ in $(seq 30); do pg_isready -q && break; sleep 1; done
  su postgres -c "psql -tAc \"SELECT 1 FROM pg_roles WHERE rolname='$DB_USER'\"" | grep -q 1 ||
    su postgres -c "psql -c \"CREATE ROLE $DB_USER LOGIN CREATEDB PASSWORD '$DB_PASSWORD'\""
  su postgres -c "psql -tAc \"SELECT 1 FROM pg_database WHERE datname='$DB_NAME'\"" | grep -q 1 ||
    su postgres -c "createdb -O $DB_USER $DB_NAME"
  redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 || redis-server --port "$REDIS_PORT" --daemonize yes --save "" --appendonly no
  for _ in $(seq 30); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 1; done
}

"${1:-start}"
