#!/usr/bin/env bash
# Start PostgreSQL and Redis from Debian's packages on this machine (used by CI; also handy
# for a one-machine production trial). Prints the DATABASE_URL and CELERY_BROKER_URL to use.
#   bash platform/services.sh install   # apt-get the packages (root)
#   bash platform/services.sh start     # start both, create the database and its user
#   bash platform/services.sh start-s3  # an S3 API server (moto_server from the test extra,
#                                       # in memory) with an empty bucket; prints the AWS_*
#                                       # variables to use with FIVESIGMA_STORAGE=s3
set -euo pipefail
DB_NAME=${FIVESIGMA_DB_NAME:-fivesigma}
DB_USER=${FIVESIGMA_DB_USER:-fivesigma}
DB_PASSWORD=${FIVESIGMA_DB_PASSWORD:-fivesigma}
REDIS_PORT=${FIVESIGMA_REDIS_PORT:-6379}
S3_PORT=${FIVESIGMA_S3_PORT:-9000}
S3_BUCKET=${FIVESIGMA_S3_BUCKET:-fivesigma}
VENV=${FIVESIGMA_VENV:-$(cd "$(dirname "$0")/.." && pwd)/.venv}

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

start-s3() {
  local endpoint="http://127.0.0.1:$S3_PORT"
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$S3_PORT") 2>/dev/null; then
    nohup "$VENV/bin/moto_server" -H 127.0.0.1 -p "$S3_PORT" >"${TMPDIR:-/tmp}/fivesigma-s3.log" 2>&1 &
    for _ in $(seq 60); do (exec 3<>"/dev/tcp/127.0.0.1/$S3_PORT") 2>/dev/null && break; sleep 0.5; done
  fi
  # moto takes any keys; a real store's come from its operator
  AWS_ACCESS_KEY_ID=fivesigma AWS_SECRET_ACCESS_KEY=fivesigma "$VENV/bin/python" - "$endpoint" "$S3_BUCKET" <<'PY' >&2
import sys, boto3
s3 = boto3.client("s3", endpoint_url=sys.argv[1], region_name="us-east-1")
if sys.argv[2] not in [b["Name"] for b in s3.list_buckets()["Buckets"]]:
    s3.create_bucket(Bucket=sys.argv[2])
print(f"S3 API server at {sys.argv[1]}, bucket {sys.argv[2]}")
PY
  echo "AWS_S3_ENDPOINT_URL=$endpoint"
  echo "AWS_STORAGE_BUCKET_NAME=$S3_BUCKET"
  echo "AWS_ACCESS_KEY_ID=fivesigma"
  echo "AWS_SECRET_ACCESS_KEY=fivesigma"
  echo "AWS_S3_REGION_NAME=us-east-1"
}

"${1:-start}"
