"""The throwaway PostgreSQL server: what happens without the binaries, and that it really
is a server of our own (not a cluster the Debian package may have started)."""

from __future__ import annotations

import pgserver
import pytest
from pgserver import PostgresServer, PostgresUnavailable, server_for_tests


def _no_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pgserver, "find_bin_dir", lambda: None)
    monkeypatch.setattr(pgserver, "_shared", None)
    monkeypatch.setattr(pgserver, "_failure", None)


def test_without_the_binaries_the_server_says_what_to_install(monkeypatch):
    _no_server(monkeypatch)
    with pytest.raises(PostgresUnavailable, match="apt-get install -y postgresql"):
        PostgresServer().start()


def test_without_the_binaries_postgres_tests_skip_unless_postgres_is_required(monkeypatch):
    _no_server(monkeypatch)
    monkeypatch.delenv(pgserver.REQUIRE_ENV, raising=False)
    with pytest.raises(pytest.skip.Exception, match="PostgreSQL not available"):
        server_for_tests()
    monkeypatch.setenv(pgserver.REQUIRE_ENV, "1")
    with pytest.raises(pytest.fail.Exception, match="KIOSK_REQUIRE_POSTGRES=1"):
        server_for_tests()


@pytest.mark.postgres
def test_the_server_is_our_own_on_a_private_port_with_the_kiosk_superuser():
    import psycopg

    server = server_for_tests()
    assert server.base_dir.name.startswith("kiosk-pg-")
    with psycopg.connect(server._dsn()) as conn:
        user, port = conn.execute("SELECT current_user, current_setting('port')").fetchone()
        data_dir = conn.execute("SHOW data_directory").fetchone()[0]
    assert (user, int(port)) == ("kiosk", server.port)
    assert data_dir == str(server.data_dir)
