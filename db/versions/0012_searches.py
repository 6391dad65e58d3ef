"""Search and examination records, and the things found in each (issue 18).

Revision ID: 0012
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0006"
branch_labels = None
depends_on = None

_NAMES = ("place", "authorised_by", "searched_by", "witness")
_TEXTS = ("not_same_sex_reason", "grounds", "sought", "searched_what")


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}")
    )


def _record_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("series_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("supersedes_id", sa.Integer(), nullable=True),
        sa.Column("correction_reason", sa.Text(), nullable=True),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("pupil_id", sa.Integer(), nullable=False),
        sa.Column("custody_id", sa.Integer(), nullable=True),
        sa.Column("searched_at", sa.DateTime(), nullable=True),
        *(sa.Column(name, sa.String(120), nullable=True) for name in _NAMES),
        sa.Column("same_sex", sa.Boolean(), nullable=True),
        sa.Column("consent", sa.Boolean(), nullable=True),
        *(sa.Column(name, sa.Text(), nullable=True) for name in _TEXTS),
        sa.Column("found_nothing", sa.Boolean(), nullable=False),
        sa.Column("do_not_examine", sa.Boolean(), nullable=False),
        sa.Column("examined", sa.Boolean(), nullable=False),
        sa.Column("examined_by", sa.String(120), nullable=True),
        sa.Column("examination_reason", sa.Text(), nullable=True),
        sa.Column("data_outcome", sa.String(20), nullable=False),
        sa.Column("dsl_informed_at", sa.DateTime(), nullable=True),
        sa.Column("dsl_informed_by", sa.String(120), nullable=True),
        sa.Column("parents_informed_at", sa.DateTime(), nullable=True),
        sa.Column("parents_informed_how", sa.String(120), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("finalised_at", sa.DateTime(), nullable=True),
        sa.Column("finalised_by_id", sa.Integer(), nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "search_records",
        *_record_columns(),
        _fk("search_records", "supersedes_id", "search_records"),
        _fk("search_records", "pupil_id", "pupils"),
        _fk("search_records", "custody_id", "custodies"),
        _fk("search_records", "created_by_id", "staff"),
        _fk("search_records", "finalised_by_id", "staff"),
        sa.CheckConstraint(
            "status IN ('draft', 'final')", name=op.f("ck_search_records_status_known")
        ),
        sa.CheckConstraint("version >= 1", name=op.f("ck_search_records_version_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_records")),
        sa.UniqueConstraint("series_id", "version", name="uq_search_records_series_version"),
    )
    for column in ("series_id", "pupil_id", "custody_id"):
        op.create_index(f"ix_search_records_{column}", "search_records", [column])
    op.create_index("ix_search_records_searched_at", "search_records", ["searched_at"])
    op.create_table(
        "search_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("description", sa.String(200), nullable=False),
        sa.Column("outcome", sa.String(10), nullable=False),
        _fk("search_items", "record_id", "search_records"),
        sa.CheckConstraint(
            "outcome IN ('kept', 'returned', 'police', 'disposed')",
            name=op.f("ck_search_items_outcome_known"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_items")),
    )
    op.create_index("ix_search_items_record_id", "search_items", ["record_id"])


def downgrade() -> None:
    op.drop_index("ix_search_items_record_id", "search_items")
    op.drop_table("search_items")
    for column in ("searched_at", "custody_id", "pupil_id", "series_id"):
        op.drop_index(f"ix_search_records_{column}", "search_records")
    op.drop_table("search_records")
