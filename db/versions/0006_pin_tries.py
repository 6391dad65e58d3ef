"""wrong PINs per account and kiosk; the hard lock an admin lifts (issue 15)

Revision ID: 0006
Revises: 0009
Create Date: 2026-12-07 08:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pin_tries",
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("terminal", sa.String(length=100), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("first_failure_at", sa.DateTime(), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_pin_tries_staff_id_staff")
        ),
        sa.PrimaryKeyConstraint("staff_id", "terminal", name=op.f("pk_pin_tries")),
    )
    with op.batch_alter_table("staff") as batch:
        batch.add_column(sa.Column("pin_locked_at", sa.DateTime(), nullable=True))
    # The old timed lock-outs end: under the new rules a lock needs many more wrong PINs.
    op.execute("UPDATE staff SET failed_attempts = 0, locked_until = NULL")


def downgrade() -> None:
    with op.batch_alter_table("staff") as batch:
        batch.drop_column("pin_locked_at")
    op.drop_table("pin_tries")
