#!/usr/bin/env bash
# Rebuild the single initial migration from the models (only while nothing is deployed).
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
rm -f migrations/versions/*.py
PORTAL_SECRET_KEY=x PORTAL_DATABASE_URL="sqlite:///$tmp/regen.sqlite" PORTAL_REDIS_URL=redis://127.0.0.1:1 \
  .venv/bin/flask --app wsgi db migrate -m "initial schema" >/dev/null 2>&1
rm -rf "$tmp"
ls migrations/versions/
