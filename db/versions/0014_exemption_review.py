"""Exemptions gain a review date: the day the school means to look at them again (issue 18,
the inspectors' page lists exemptions in force with their review dates).

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (nullable): exemptions granted before this have no review date, and
    # the inspectors' page says so rather than inventing one.
    op.add_column("exemptions", sa.Column("review_on", sa.Date(), nullable=True))


def downgrade() -> None:
    op.drop_column("exemptions", "review_on")
