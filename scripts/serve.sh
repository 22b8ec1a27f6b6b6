#!/usr/bin/env bash
# Serve with a production WSGI server (gunicorn) and the Huey background worker next to it.
set -euo pipefail
HOST=${1:-127.0.0.1}; PORT=${2:-8000}; WORKERS=${3:-3}
cd "$(dirname "$0")/.."
.venv/bin/python manage.py run_huey --workers 2 --quiet &
HUEY_PID=$!
trap 'kill $HUEY_PID 2>/dev/null || true' EXIT INT TERM
.venv/bin/gunicorn dangjian.wsgi:application --bind "$HOST:$PORT" --workers "$WORKERS" \
  --access-logfile - --timeout 120
