#!/usr/bin/env bash
# Draft a NEW Alembic revision from the difference between the models and the migrations.
#   scripts/new_migration.sh <name>_<short_slug> "what it changes"
# The initial migration is frozen: never edit or regenerate it (see migrations/README).
# Read the draft and finish it by hand (SQLite needs batch_alter_table for ALTERs; new NOT NULL
# columns need a server default or a backfill); tests/test_migrations.py checks the result.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$#" -ne 2 ]; then
    echo "usage: $0 REVISION_ID MESSAGE   (e.g. $0 i8_receipt_data \"receipt data on appeals\")" >&2
    exit 2
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export PORTAL_SECRET_KEY=x PORTAL_DATABASE_URL="sqlite:///$tmp/draft.sqlite" PORTAL_REDIS_URL=redis://127.0.0.1:1
export PORTAL_INSTANCE_PATH="$tmp/instance"
.venv/bin/flask --app wsgi db upgrade >/dev/null
.venv/bin/flask --app wsgi db migrate --rev-id "$1" -m "$2"
