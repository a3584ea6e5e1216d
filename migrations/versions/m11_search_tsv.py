"""PostgreSQL search: the search document's tsvector stored beside it and indexed

Revision ID: m11_search_tsv
Revises: s12a_notifications
Create Date: 2026-12-01 07:30:00

The GIN index was built over ``to_tsvector('simple', terms)``: a query whose plan checks rows
one by one (a page read in id order) computed the vector of each document again, about 0.1 ms
a document at a million appeals. A stored generated column computes it once, when the
document is written. SQLite's FTS5 index is unchanged.
"""

from alembic import op

revision = "m11_search_tsv"
down_revision = "s12a_notifications"
branch_labels = None
depends_on = None

# frozen copies of portal.services.search.DDL["postgresql"] before and after
BEFORE = "CREATE INDEX IF NOT EXISTS ix_appeal_search_tsv ON appeal_search USING gin (to_tsvector('simple', terms))"
AFTER = [
    "ALTER TABLE appeal_search ADD COLUMN IF NOT EXISTS tsv tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple', terms)) STORED",
    "CREATE INDEX IF NOT EXISTS ix_appeal_search_tsv ON appeal_search USING gin (tsv)",
]


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_appeal_search_tsv")
    for statement in AFTER:
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_appeal_search_tsv")
    op.execute("ALTER TABLE appeal_search DROP COLUMN IF EXISTS tsv")
    op.execute(BEFORE)
