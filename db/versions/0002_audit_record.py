"""audit record: seq > 0, salted details digests, redaction only inside a purge, signed heads

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-07 07:40:00

- ``audit_events.seq`` must be positive (verify walks from 1; a row numbered 0 or below
  would sit outside the chain yet show in receipts and exports).
- ``audit_events.details_salt``: a random salt per new event; its details digest is
  SHA-256(salt + details). The purge destroys the salt with the details, so a redacted
  digest confirms no guess. NULL for events written before this revision (plain digest).
- ``audit_redaction_grants``: the retention purge writes the pupils it removes here and
  deletes them again in the same transaction; the UPDATE trigger only lets a redaction
  through for a pupil listed there (on PostgreSQL: listed by this very transaction).
- ``audit_heads``: each kiosk key line's newest signed chain head (kiosk.record).
- A partial index on the redacted events, which verify looks up.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_REDACTION_KEEPS = """NEW.seq = OLD.seq AND NEW.at = OLD.at AND NEW.kind = OLD.kind
        AND NEW.actor_id IS OLD.actor_id AND NEW.actor_name IS OLD.actor_name
        AND NEW.pupil_id IS OLD.pupil_id AND NEW.slot_number IS OLD.slot_number
        AND NEW.custody_id IS OLD.custody_id AND NEW.details_digest = OLD.details_digest
        AND NEW.prev_hash = OLD.prev_hash AND NEW.hash = OLD.hash"""

_SQLITE_TRIGGERS = [
    """CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
    BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END""",
    f"""CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
    WHEN NOT (NEW.redacted = 1 AND NEW.details = '{{"redacted"\\:true}}'
        AND NEW.details_salt IS NULL AND {_REDACTION_KEEPS}
        AND EXISTS (SELECT 1 FROM audit_redaction_grants g WHERE g.pupil_id = OLD.pupil_id))
    BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END""",
]
_POSTGRES_FUNCTION = """CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger AS $$
    BEGIN
        IF TG_OP = 'UPDATE' AND NEW.redacted AND NEW.details = '{"redacted"\\:true}'
            AND NEW.details_salt IS NULL
            AND (NEW.seq, NEW.at, NEW.kind, NEW.details_digest, NEW.prev_hash, NEW.hash)
                = (OLD.seq, OLD.at, OLD.kind, OLD.details_digest, OLD.prev_hash, OLD.hash)
            AND NEW.actor_id IS NOT DISTINCT FROM OLD.actor_id
            AND NEW.actor_name IS NOT DISTINCT FROM OLD.actor_name
            AND NEW.pupil_id IS NOT DISTINCT FROM OLD.pupil_id
            AND NEW.slot_number IS NOT DISTINCT FROM OLD.slot_number
            AND NEW.custody_id IS NOT DISTINCT FROM OLD.custody_id
            AND EXISTS (SELECT 1 FROM audit_redaction_grants g
                        WHERE g.pupil_id = OLD.pupil_id AND g.granted_in = txid_current()) THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'audit events are append-only';
    END $$ LANGUAGE plpgsql"""
_OLD_POSTGRES_FUNCTION = """CREATE OR REPLACE FUNCTION audit_events_append_only()
    RETURNS trigger AS $$
    BEGIN
        IF TG_OP = 'UPDATE' AND NEW.redacted AND NEW.details = '{"redacted"\\:true}'
            AND (NEW.seq, NEW.at, NEW.kind, NEW.details_digest, NEW.prev_hash, NEW.hash)
                = (OLD.seq, OLD.at, OLD.kind, OLD.details_digest, OLD.prev_hash, OLD.hash)
            AND NEW.actor_id IS NOT DISTINCT FROM OLD.actor_id
            AND NEW.actor_name IS NOT DISTINCT FROM OLD.actor_name
            AND NEW.pupil_id IS NOT DISTINCT FROM OLD.pupil_id
            AND NEW.slot_number IS NOT DISTINCT FROM OLD.slot_number
            AND NEW.custody_id IS NOT DISTINCT FROM OLD.custody_id THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'audit events are append-only';
    END $$ LANGUAGE plpgsql"""
_OLD_SQLITE_UPDATE_TRIGGER = f"""CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
    WHEN NOT (NEW.redacted = 1 AND NEW.details = '{{"redacted"\\:true}}' AND {_REDACTION_KEEPS})
    BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END"""


def _drop_sqlite_triggers() -> None:
    op.execute("DROP TRIGGER IF EXISTS audit_events_no_delete")
    op.execute("DROP TRIGGER IF EXISTS audit_events_no_update")


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.create_table(
        "audit_redaction_grants",
        sa.Column("pupil_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("granted_in", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("pupil_id", name=op.f("pk_audit_redaction_grants")),
    )
    op.create_table(
        "audit_heads",
        sa.Column("line", sa.String(length=60), nullable=False),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("signature", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("line", name=op.f("pk_audit_heads")),
    )
    if sqlite:  # the table is rebuilt for the CHECK, which drops its triggers anyway
        _drop_sqlite_triggers()
    with op.batch_alter_table("audit_events", recreate="always" if sqlite else "auto") as batch:
        batch.add_column(sa.Column("details_salt", sa.String(length=32), nullable=True))
        batch.create_check_constraint("seq_positive", "seq > 0")
        batch.create_index(
            "ix_audit_events_redacted",
            ["seq", "pupil_id"],
            sqlite_where=sa.text("redacted"),
            postgresql_where=sa.text("redacted"),
        )
    if sqlite:
        for statement in _SQLITE_TRIGGERS:
            op.execute(statement)
    else:
        op.execute(_POSTGRES_FUNCTION)


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        _drop_sqlite_triggers()
    with op.batch_alter_table("audit_events", recreate="always" if sqlite else "auto") as batch:
        batch.drop_index(
            "ix_audit_events_redacted",
            sqlite_where=sa.text("redacted"),
            postgresql_where=sa.text("redacted"),
        )
        batch.drop_constraint(op.f("ck_audit_events_seq_positive"), type_="check")
        batch.drop_column("details_salt")
    if sqlite:
        op.execute(_SQLITE_TRIGGERS[0])
        op.execute(_OLD_SQLITE_UPDATE_TRIGGER)
    else:
        op.execute(_OLD_POSTGRES_FUNCTION)
    op.drop_table("audit_heads")
    op.drop_table("audit_redaction_grants")
