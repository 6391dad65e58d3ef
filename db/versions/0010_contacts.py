"""Pupils' contacts from the MIS, and the release of a confiscated device to one of them:
the ID seen, whether the person was on the list, and the senior member of staff who
authorised someone who was not (issue 18).

Revision ID: 0010
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("match_key", sa.String(64), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("email", sa.String(254), nullable=True),
        sa.Column("telephone", sa.String(40), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contacts")),
        sa.UniqueConstraint("match_key", name=op.f("uq_contacts_match_key")),
    )
    op.create_table(
        "pupil_contacts",
        sa.Column("pupil_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("relationship", sa.String(40), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("parental_responsibility", sa.Boolean(), nullable=False),
        sa.Column("may_collect", sa.Boolean(), nullable=False),
        sa.Column("do_not_release", sa.Boolean(), nullable=False),
        sa.Column("court_order_note", sa.String(120), nullable=True),
        sa.ForeignKeyConstraint(
            ["pupil_id"], ["pupils.id"], name=op.f("fk_pupil_contacts_pupil_id_pupils")
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name=op.f("fk_pupil_contacts_contact_id_contacts")
        ),
        sa.PrimaryKeyConstraint("pupil_id", "contact_id", name=op.f("pk_pupil_contacts")),
    )
    op.create_index("ix_pupil_contacts_contact_id", "pupil_contacts", ["contact_id"])
    # Plain ADD COLUMN, not a batch: other tables refer to custodies (see 0009).
    op.add_column("custodies", sa.Column("id_seen_as", sa.String(60), nullable=True))
    op.add_column("custodies", sa.Column("released_to_listed", sa.Boolean(), nullable=True))
    _add_staff_reference("custodies", "release_authorised_by_id")


def _add_staff_reference(table: str, column: str) -> None:
    """A new column referring to staff. SQLite takes the reference inside ADD COLUMN (Alembic
    would want a batch, which rebuilds the table); PostgreSQL adds it as a constraint."""
    name = f"fk_{table}_{column}_staff"
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            f"ALTER TABLE {table} ADD COLUMN {column} INTEGER "
            f"CONSTRAINT {name} REFERENCES staff (id)"
        )
    else:
        op.add_column(table, sa.Column(column, sa.Integer(), nullable=True))
        op.create_foreign_key(name, table, "staff", [column], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("custodies") as batch:
        batch.drop_column("release_authorised_by_id")
        batch.drop_column("released_to_listed")
        batch.drop_column("id_seen_as")
    op.drop_index("ix_pupil_contacts_contact_id", "pupil_contacts")
    op.drop_table("pupil_contacts")
    op.drop_table("contacts")
