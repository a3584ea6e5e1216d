"""records: backups, applicant keys, anonymisation proposals

Revision ID: i13_records
Revises: 36cf8cb6e916
Create Date: 2026-12-01 00:46:41.150221

"""

from alembic import op
import sqlalchemy as sa
import portal.models.base


# revision identifiers, used by Alembic.
revision = "i13_records"
down_revision = "c_audit_triggers"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "applicant_key",
        sa.Column("applicant_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("key", sa.LargeBinary(length=32), nullable=False),
        sa.Column("created_at", portal.models.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("applicant_id", name=op.f("pk_applicant_key")),
    )
    op.create_table(
        "backup_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", portal.models.base.UTCDateTime(), nullable=False),
        sa.Column("finished_at", portal.models.base.UTCDateTime(), nullable=True),
        sa.Column(
            "state",
            sa.Enum(
                "running",
                "finished",
                "failed",
                name="backupstate",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_backup_run")),
    )
    with op.batch_alter_table("backup_run", schema=None) as batch_op:
        batch_op.create_index("ix_backup_run_started", ["started_at", "id"], unique=False)

    op.create_table(
        "anonymisation_proposal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", portal.models.base.UTCDateTime(), nullable=False),
        sa.Column("cutoff", sa.Date(), nullable=False),
        sa.Column("applicant_ids", sa.JSON(), nullable=False),
        sa.Column("appeal_count", sa.Integer(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "proposed",
                "confirmed",
                "done",
                "dismissed",
                name="proposalstate",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", portal.models.base.UTCDateTime(), nullable=True),
        sa.Column("done_count", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["user.id"], name=op.f("fk_anonymisation_proposal_decided_by_id_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_anonymisation_proposal")),
    )
    with op.batch_alter_table("anonymisation_proposal", schema=None) as batch_op:
        batch_op.create_index("ix_anonymisation_proposal_state", ["state", "id"], unique=False)

    op.create_table(
        "anonymised_applicant",
        sa.Column("applicant_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=True),
        sa.Column("anonymised_at", portal.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["applicant_id"], ["applicant.id"], name=op.f("fk_anonymised_applicant_applicant_id_applicant")
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["anonymisation_proposal.id"],
            name=op.f("fk_anonymised_applicant_proposal_id_anonymisation_proposal"),
        ),
        sa.PrimaryKeyConstraint("applicant_id", name=op.f("pk_anonymised_applicant")),
    )


def downgrade():
    op.drop_table("anonymised_applicant")
    with op.batch_alter_table("anonymisation_proposal", schema=None) as batch_op:
        batch_op.drop_index("ix_anonymisation_proposal_state")

    op.drop_table("anonymisation_proposal")
    with op.batch_alter_table("backup_run", schema=None) as batch_op:
        batch_op.drop_index("ix_backup_run_started")

    op.drop_table("backup_run")
    op.drop_table("applicant_key")
