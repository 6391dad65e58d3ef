"""Alembic environment: the engine comes from kiosk.db (config.attributes["engine"]) or,
for the alembic CLI, from KIOSK_DATABASE_URL / the default data dir."""

from __future__ import annotations

from alembic import context

from kiosk.tables import Base

config = context.config
target_metadata = Base.metadata


def _engine():  # type: ignore[no-untyped-def]
    engine = config.attributes.get("engine")
    if engine is not None:
        return engine
    from kiosk.config import load_config
    from kiosk.db import make_engine

    return make_engine(load_config().database_url)


def run_migrations_online() -> None:
    engine = _engine()
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()
