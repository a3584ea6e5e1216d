"""scale: the appeals' search documents (FTS5 / tsvector + pg_trgm) and list indexes

Revision ID: i11_scale
Revises: i8_receipt_data
Create Date: 2026-12-01 02:00:00

The full-text structures outside the models are frozen here (``portal.services.search.DDL``
holds the same for schemas built from the models); the documents are backfilled once.
"""

import sqlalchemy as sa
from alembic import op

revision = "i11_scale"
down_revision = "i8_receipt_data"
branch_labels = None
depends_on = None

SQLITE = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS appeal_fts USING fts5("
    "terms, content='appeal_search', content_rowid='appeal_id', "
    "tokenize=\"unicode61 remove_diacritics 0\", prefix='2 3')",
    "CREATE TRIGGER IF NOT EXISTS appeal_search_ai AFTER INSERT ON appeal_search BEGIN "
    "INSERT INTO appeal_fts(rowid, terms) VALUES (new.appeal_id, new.terms); END",
    "CREATE TRIGGER IF NOT EXISTS appeal_search_ad AFTER DELETE ON appeal_search BEGIN "
    "INSERT INTO appeal_fts(appeal_fts, rowid, terms) VALUES ('delete', old.appeal_id, old.terms); END",
    "CREATE TRIGGER IF NOT EXISTS appeal_search_au AFTER UPDATE ON appeal_search BEGIN "
    "INSERT INTO appeal_fts(appeal_fts, rowid, terms) VALUES ('delete', old.appeal_id, old.terms); "
    "INSERT INTO appeal_fts(rowid, terms) VALUES (new.appeal_id, new.terms); END",
]
POSTGRESQL = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS ix_appeal_search_tsv ON appeal_search USING gin (to_tsvector('simple', terms))",
    "CREATE INDEX IF NOT EXISTS ix_appeal_search_trgm ON appeal_search USING gin (terms gin_trgm_ops)",
]


def upgrade():
    op.create_table(
        "appeal_search",
        sa.Column("appeal_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("terms", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["appeal_id"], ["appeal.id"], name=op.f("fk_appeal_search_appeal_id_appeal"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("appeal_id", name=op.f("pk_appeal_search")),
    )
    with op.batch_alter_table("appeal", schema=None) as batch_op:
        batch_op.create_index("ix_appeal_privileged_registered", ["is_privileged", "registered_at", "id"], unique=False)
        batch_op.create_index(
            "ix_appeal_main_executor_registered", ["main_executor_id", "registered_at", "id"], unique=False
        )
        batch_op.create_index("ix_appeal_due_id", ["due_date", "id"], unique=False)

    bind = op.get_bind()
    # backfill before the full-text index exists: one bulk build instead of a million trigger calls
    from portal.services import search

    search.rebuild(bind)
    if bind.dialect.name == "sqlite":
        for statement in SQLITE:
            op.execute(statement)
        op.execute("INSERT INTO appeal_fts(appeal_fts) VALUES ('rebuild')")
    elif bind.dialect.name == "postgresql":
        for statement in POSTGRESQL:
            op.execute(statement)


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for name in ("appeal_search_ai", "appeal_search_ad", "appeal_search_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS appeal_fts")
    elif bind.dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_appeal_search_trgm")
        op.execute("DROP INDEX IF EXISTS ix_appeal_search_tsv")
    with op.batch_alter_table("appeal", schema=None) as batch_op:
        batch_op.drop_index("ix_appeal_due_id")
        batch_op.drop_index("ix_appeal_main_executor_registered")
        batch_op.drop_index("ix_appeal_privileged_registered")
    op.drop_table("appeal_search")
