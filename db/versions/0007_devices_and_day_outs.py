"""several devices per pupil, out and back during the day, emergency release

Revision ID: 0007
Revises: 0004 (written against 0001; chained after main's newest, 0004, so there is one head)

Every existing custody becomes one item of kind "phone" (a confiscation keeps its
description on the item too), so the records of the past read as they did.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0004"
branch_labels = None
depends_on = None

_HELD_DAILY = sa.text("state = 'held' AND kind = 'daily'")


def upgrade() -> None:
    op.add_column("pupils", sa.Column("usual_devices", sa.String(length=200), nullable=True))
    op.add_column(
        "custodies",
        sa.Column("part", sa.Integer(), server_default=sa.text("1"), nullable=False),
    )
    op.add_column("custodies", sa.Column("release_reason", sa.String(length=20), nullable=True))
    op.add_column("custodies", sa.Column("release_note", sa.String(length=200), nullable=True))
    op.drop_index("uq_custodies_held_daily_pupil", table_name="custodies")
    op.create_index(
        "uq_custodies_held_daily_pupil_part",
        "custodies",
        ["pupil_id", "part"],
        unique=True,
        sqlite_where=_HELD_DAILY,
        postgresql_where=_HELD_DAILY,
    )
    op.create_table(
        "custody_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("custody_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("description", sa.String(length=80), nullable=True),
        sa.Column("released_at", sa.DateTime(), nullable=True),
        sa.Column("released_by_id", sa.Integer(), nullable=True),
        sa.Column("release_reason", sa.String(length=200), nullable=True),
        sa.CheckConstraint(
            "released_at IS NULL OR (release_reason IS NOT NULL AND release_reason <> '')",
            name=op.f("ck_custody_items_released_apart_has_reason"),
        ),
        sa.ForeignKeyConstraint(
            ["custody_id"],
            ["custodies.id"],
            name=op.f("fk_custody_items_custody_id_custodies"),
        ),
        sa.ForeignKeyConstraint(
            ["released_by_id"],
            ["staff.id"],
            name=op.f("fk_custody_items_released_by_id_staff"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_custody_items")),
    )
    op.create_index(
        op.f("ix_custody_items_custody_id"), "custody_items", ["custody_id"], unique=False
    )
    op.create_table(
        "day_outs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pupil_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("group_name", sa.String(length=80), nullable=True),
        sa.Column("out_at", sa.DateTime(), nullable=False),
        sa.Column("out_by_id", sa.Integer(), nullable=True),
        sa.Column("slot_number", sa.Integer(), nullable=True),
        sa.Column("device_kinds", sa.String(length=200), nullable=True),
        sa.Column("back_at", sa.DateTime(), nullable=True),
        sa.Column("back_custody_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["back_custody_id"],
            ["custodies.id"],
            name=op.f("fk_day_outs_back_custody_id_custodies"),
        ),
        sa.ForeignKeyConstraint(
            ["out_by_id"], ["staff.id"], name=op.f("fk_day_outs_out_by_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["pupil_id"], ["pupils.id"], name=op.f("fk_day_outs_pupil_id_pupils")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_day_outs")),
    )
    op.create_index("ix_day_outs_pupil_open", "day_outs", ["pupil_id", "back_at"], unique=False)
    op.create_index(op.f("ix_day_outs_out_at"), "day_outs", ["out_at"], unique=False)
    op.execute(
        "INSERT INTO custody_items (custody_id, kind, description) "
        "SELECT id, 'phone', substr(description, 1, 80) FROM custodies ORDER BY id"
    )


def downgrade() -> None:
    # Going back keeps one record per custody (its first item's story is the custody's);
    # a pupil with two held daily parts cannot go back while they are held.
    op.drop_index(op.f("ix_day_outs_out_at"), table_name="day_outs")
    op.drop_index("ix_day_outs_pupil_open", table_name="day_outs")
    op.drop_table("day_outs")
    op.drop_index(op.f("ix_custody_items_custody_id"), table_name="custody_items")
    op.drop_table("custody_items")
    op.drop_index("uq_custodies_held_daily_pupil_part", table_name="custodies")
    op.create_index(
        "uq_custodies_held_daily_pupil",
        "custodies",
        ["pupil_id"],
        unique=True,
        sqlite_where=_HELD_DAILY,
        postgresql_where=_HELD_DAILY,
    )
    with op.batch_alter_table("custodies") as batch_op:
        batch_op.drop_column("release_note")
        batch_op.drop_column("release_reason")
        batch_op.drop_column("part")
    with op.batch_alter_table("pupils") as batch_op:
        batch_op.drop_column("usual_devices")
