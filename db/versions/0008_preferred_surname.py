"""Pupils' preferred surname, beside the legal one (SIMS exports both; cards and screens
show the preferred one when there is one).

Revision ID: 0008
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("pupils") as batch:
        batch.add_column(sa.Column("preferred_surname", sa.String(100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("pupils") as batch:
        batch.drop_column("preferred_surname")
