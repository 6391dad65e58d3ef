"""Card-less and late hand-ins (two flags on a custody), and exam sessions with their
candidates (issue 17).

Revision ID: 0009
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN, not a batch: a batch rebuilds the table on SQLite, and custody_items
    # and day_outs (0007) refer to it, so dropping the old table fails while they hold rows.
    for name in ("card_less", "late"):
        op.add_column(
            "custodies", sa.Column(name, sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "exam_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("on_date", sa.Date(), nullable=False),
        sa.Column("starts_at", sa.Time(), nullable=False),
        sa.Column("title", sa.String(120), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["staff.id"], name=op.f("fk_exam_sessions_created_by_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exam_sessions")),
    )
    op.create_index("ix_exam_sessions_on_date", "exam_sessions", ["on_date"])
    op.create_table(
        "exam_candidates",
        sa.Column("exam_id", sa.Integer(), nullable=False),
        sa.Column("pupil_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["exam_id"], ["exam_sessions.id"], name=op.f("fk_exam_candidates_exam_id_exam_sessions")
        ),
        sa.ForeignKeyConstraint(
            ["pupil_id"], ["pupils.id"], name=op.f("fk_exam_candidates_pupil_id_pupils")
        ),
        sa.PrimaryKeyConstraint("exam_id", "pupil_id", name=op.f("pk_exam_candidates")),
    )
    op.create_index("ix_exam_candidates_pupil_id", "exam_candidates", ["pupil_id"])


def downgrade() -> None:
    op.drop_index("ix_exam_candidates_pupil_id", "exam_candidates")
    op.drop_table("exam_candidates")
    op.drop_index("ix_exam_sessions_on_date", "exam_sessions")
    op.drop_table("exam_sessions")
    with op.batch_alter_table("custodies") as batch:
        batch.drop_column("late")
        batch.drop_column("card_less")
