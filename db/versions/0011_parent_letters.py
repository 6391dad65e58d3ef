"""emails to parents and collection appointments for confiscated devices (issue 18)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 10:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "parent_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("custody_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("recipient_name", sa.String(length=120), nullable=False),
        sa.Column("recipient_email", sa.String(length=254), nullable=False),
        sa.Column("attempted_at", sa.DateTime(), nullable=False),
        sa.Column("sent_by_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "outcome IN ('sent', 'failed')", name=op.f("ck_parent_messages_outcome_known")
        ),
        sa.CheckConstraint(
            "outcome = 'sent' OR error IS NOT NULL",
            name=op.f("ck_parent_messages_failure_has_words"),
        ),
        sa.ForeignKeyConstraint(
            ["custody_id"], ["custodies.id"], name=op.f("fk_parent_messages_custody_id_custodies")
        ),
        sa.ForeignKeyConstraint(
            ["sent_by_id"], ["staff.id"], name=op.f("fk_parent_messages_sent_by_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parent_messages")),
    )
    op.create_index(
        op.f("ix_parent_messages_custody_id"), "parent_messages", ["custody_id"], unique=False
    )
    op.create_table(
        "collection_appointments",
        sa.Column("custody_id", sa.Integer(), nullable=False),
        sa.Column("on_date", sa.Date(), nullable=False),
        sa.Column("at_time", sa.Time(), nullable=False),
        sa.Column("who", sa.String(length=120), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("reminded_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["custody_id"],
            ["custodies.id"],
            name=op.f("fk_collection_appointments_custody_id_custodies"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["staff.id"],
            name=op.f("fk_collection_appointments_recorded_by_id_staff"),
        ),
        sa.PrimaryKeyConstraint("custody_id", name=op.f("pk_collection_appointments")),
    )
    op.create_index(
        op.f("ix_collection_appointments_on_date"),
        "collection_appointments",
        ["on_date"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_collection_appointments_on_date"), "collection_appointments")
    op.drop_table("collection_appointments")
    op.drop_index(op.f("ix_parent_messages_custody_id"), "parent_messages")
    op.drop_table("parent_messages")
