"""receipt data on the appeal; intake drafts, outgoing mail, answer templates (issue 8)

Revision ID: i8_receipt_data
Revises: i10_terms
Create Date: 2026-12-01 00:00:00

"""

import sqlalchemy as sa
from alembic import op

import portal.models.base

revision = "i8_receipt_data"
down_revision = "i10_terms"
branch_labels = None
depends_on = None


def _enum(name, *values):
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


DELIVERY = ("pending", "sent", "failed")
ANSWER_KIND = ("to_regional_center", "to_applicant")


def upgrade():
    with op.batch_alter_table("appeal") as batch:
        batch.add_column(sa.Column("received_at", portal.models.base.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("ukc_date", sa.Date(), nullable=True))
        batch.add_column(sa.Column("regional_date", sa.Date(), nullable=True))
        batch.add_column(sa.Column("sender_email", sa.String(length=200), nullable=False, server_default=""))
        batch.add_column(sa.Column("message_id", sa.String(length=255), nullable=False, server_default=""))
        batch.add_column(sa.Column("paper_copy_sent_on", sa.Date(), nullable=True))
    # the moment of receipt of an appeal registered before this revision is its registration
    op.execute("UPDATE appeal SET received_at = registered_at")
    with op.batch_alter_table("appeal") as batch:
        batch.alter_column("received_at", existing_type=portal.models.base.UTCDateTime(), nullable=False)
        batch.alter_column("sender_email", server_default=None)
        batch.alter_column("message_id", server_default=None)
        batch.create_index(batch.f("ix_appeal_message_id"), ["message_id"], unique=False)

    op.create_table(
        "intake_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", _enum("intakesource", "mailbox", "upload", "command", "ukc_batch"), nullable=False),
        sa.Column(
            "state",
            _enum("intakestate", "draft", "registered", "duplicate", "rejected", "dismissed"),
            nullable=False,
        ),
        sa.Column("message_id", sa.String(length=255), nullable=False),
        sa.Column("ukc_number", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column("sender", sa.String(length=200), nullable=False),
        sa.Column("received_at", portal.models.base.UTCDateTime(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("raw_key", sa.String(length=255), nullable=False),
        sa.Column("raw_size", sa.Integer(), nullable=False),
        sa.Column("appeal_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", portal.models.base.UTCDateTime(), nullable=False),
        sa.Column("updated_at", portal.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["appeal_id"], ["appeal.id"], name=op.f("fk_intake_message_appeal_id_appeal")),
        sa.ForeignKeyConstraint(["created_by_id"], ["user.id"], name=op.f("fk_intake_message_created_by_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intake_message")),
    )
    with op.batch_alter_table("intake_message") as batch:
        batch.create_index("ix_intake_message_state_created", ["state", "id"], unique=False)
        batch.create_index(batch.f("ix_intake_message_message_id"), ["message_id"], unique=False)
        batch.create_index(batch.f("ix_intake_message_ukc_number"), ["ukc_number"], unique=False)
        batch.create_index(batch.f("ix_intake_message_appeal_id"), ["appeal_id"], unique=False)

    op.create_table(
        "outgoing_mail",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("appeal_id", sa.Integer(), nullable=False),
        sa.Column("outgoing_number", sa.String(length=32), nullable=False),
        sa.Column("recipient", sa.String(length=200), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column("message_id", sa.String(length=255), nullable=False),
        sa.Column("state", _enum("deliverystatus", *DELIVERY), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("reply", sa.Text(), nullable=False),
        sa.Column("delivered_at", portal.models.base.UTCDateTime(), nullable=True),
        sa.Column("attachment_ids", sa.JSON(), nullable=False),
        sa.Column("created_at", portal.models.base.UTCDateTime(), nullable=False),
        sa.Column("updated_at", portal.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["appeal_id"], ["appeal.id"], name=op.f("fk_outgoing_mail_appeal_id_appeal"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outgoing_mail")),
        sa.UniqueConstraint("appeal_id", "outgoing_number", name=op.f("uq_outgoing_mail_appeal_id")),
    )
    with op.batch_alter_table("outgoing_mail") as batch:
        batch.create_index(batch.f("ix_outgoing_mail_appeal_id"), ["appeal_id"], unique=False)

    op.create_table(
        "delivery_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mail_id", sa.Integer(), nullable=False),
        sa.Column("at", portal.models.base.UTCDateTime(), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("reply", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["mail_id"],
            ["outgoing_mail.id"],
            name=op.f("fk_delivery_attempt_mail_id_outgoing_mail"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_attempt")),
    )
    with op.batch_alter_table("delivery_attempt") as batch:
        batch.create_index(batch.f("ix_delivery_attempt_mail_id"), ["mail_id"], unique=False)

    op.create_table(
        "document_template",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", _enum("answerkind", *ANSWER_KIND), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("storage_key", sa.String(length=255), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", portal.models.base.UTCDateTime(), nullable=False),
        sa.Column("updated_at", portal.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["uploaded_by_id"], ["user.id"], name=op.f("fk_document_template_uploaded_by_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_template")),
        sa.UniqueConstraint("kind", "version", name=op.f("uq_document_template_kind")),
        sa.UniqueConstraint("storage_key", name=op.f("uq_document_template_storage_key")),
    )


def downgrade():
    op.drop_table("document_template")
    op.drop_table("delivery_attempt")
    op.drop_table("outgoing_mail")
    op.drop_table("intake_message")
    with op.batch_alter_table("appeal") as batch:
        batch.drop_index(batch.f("ix_appeal_message_id"))
        for column in ("paper_copy_sent_on", "message_id", "sender_email", "regional_date", "ukc_date", "received_at"):
            batch.drop_column(column)
