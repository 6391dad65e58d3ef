"""A small school whose audit log is signed: root set up, this kiosk enrolled."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine

from kiosk.db import Database
from kiosk.demo import DemoSchool
from kiosk.keystore import KeyStore
from kiosk.record import seal
from kiosk.services import audit


@dataclass
class Signed:
    school: DemoSchool
    sessions: Database
    engine: Engine
    store: KeyStore
    sealer: seal.Sealer
    recovery: seal.RecoveryKey
    data_dir: Path

    @property
    def fingerprint(self) -> str:
        return self.recovery.fingerprint


@pytest.fixture
def signed(
    school: DemoSchool, sessions: Database, engine: Engine, data_dir: Path
) -> Iterator[Signed]:
    store = KeyStore(data_dir)
    recovery = seal.setup_school(sessions, store, "kiosk-1", school.actors["admin"])
    sealer, why = seal.load(engine, store, "kiosk-1")
    assert sealer is not None, why
    yield Signed(school, sessions, engine, store, sealer, recovery, data_dir)
    audit.HEAD_SIGNERS.pop(engine, None)
