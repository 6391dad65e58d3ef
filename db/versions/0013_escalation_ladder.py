"""The escalation ladder: each confiscation's step in its term, its release condition, and
why staff chose a condition other than the school's rule (issue 18).

Revision ID: 0013
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0011"
branch_labels = None
depends_on = None

COLUMNS = (
    ("term_step", sa.Integer()),
    ("release_condition", sa.String(20)),
    ("condition_note", sa.Text()),
)


def upgrade() -> None:
    # Plain ADD COLUMN (nullable): confiscations made before the ladder have no step.
    for name, kind in COLUMNS:
        op.add_column("confiscations", sa.Column(name, kind, nullable=True))


def downgrade() -> None:
    for name, _kind in reversed(COLUMNS):
        op.drop_column("confiscations", name)
