"""A throwaway PostgreSQL server for the tests and benchmarks.

The server is made from the PostgreSQL binaries alone (``initdb``, ``pg_ctl``, ``postgres``
on PATH or in ``/usr/lib/postgresql/<version>/bin``, or the folder in ``KIOSK_PG_BIN``); a
cluster the Debian package may have created and started is never touched. The cluster lives
in a temporary folder, listens on 127.0.0.1 on a free port (and a Unix socket in that folder),
trusts local connections, and is removed when the process that started it ends, even if that
process is killed: a small watchdog process stops it then.

``initdb`` refuses to run as root, so under root the cluster belongs to the ``postgres`` user
(created by Debian's ``postgresql-common``) or, failing that, ``nobody``.

Tests get the server through :func:`server_for_tests`: when the binaries are missing or the
server does not start, PostgreSQL tests are skipped, or fail with the reason when the
environment sets ``KIOSK_REQUIRE_POSTGRES=1`` (as CI does).
"""

from __future__ import annotations

import atexit
import concurrent.futures
import contextlib
import itertools
import os
import pwd
import re
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

SUPERUSER = "kiosk"
TEMPLATE_DB = "kiosk_template"
REQUIRE_ENV = "KIOSK_REQUIRE_POSTGRES"
BIN_ENV = "KIOSK_PG_BIN"
INSTALL_HINT = (
    "PostgreSQL binaries (initdb, pg_ctl, postgres) were not found on PATH or in "
    "/usr/lib/postgresql/*/bin. On Debian/Ubuntu: apt-get install -y postgresql "
    f"(or set {BIN_ENV} to the folder holding them)."
)
# Speed over durability for tests: a crash of the test server loses nothing we need.
FAST_SETTINGS = ("fsync=off", "synchronous_commit=off", "full_page_writes=off")
# Stops the server (SIGQUIT to the postmaster: immediate shutdown) and removes its folder
# once the process that started it has gone, however it ended.
_WATCHDOG = """
import os, shutil, signal, sys, time
parent, data, base = int(sys.argv[1]), sys.argv[2], sys.argv[3]
while True:
    try:
        os.kill(parent, 0)
    except ProcessLookupError:
        break
    time.sleep(1)
try:
    with open(os.path.join(data, "postmaster.pid")) as fh:
        postmaster = int(fh.readline())
    os.kill(postmaster, signal.SIGQUIT)
    for _ in range(100):
        os.kill(postmaster, 0)
        time.sleep(0.1)
except (OSError, ValueError):
    pass
shutil.rmtree(base, ignore_errors=True)
"""


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server could be started; the message says why and what to install."""


def _version_key(path: Path) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", path.parent.name)) or (0,)


def find_bin_dir() -> Path | None:
    """The folder with initdb, pg_ctl and postgres, newest version first."""
    candidates: list[Path] = []
    if os.environ.get(BIN_ENV):
        candidates.append(Path(os.environ[BIN_ENV]))
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).resolve().parent)
    debian = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=_version_key, reverse=True)
    candidates.extend(debian)
    for folder in candidates:
        if all((folder / name).is_file() for name in ("initdb", "pg_ctl", "postgres")):
            return folder
    return None


@dataclass(frozen=True)
class RunAs:
    """The unprivileged account that owns the cluster when we are root (None otherwise)."""

    name: str
    uid: int
    gid: int


def _run_as() -> RunAs | None:
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            entry = pwd.getpwnam(name)
            return RunAs(name, entry.pw_uid, entry.pw_gid)
    raise PostgresUnavailable("running as root and there is no 'postgres' or 'nobody' user")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _temp_parent(run_as: RunAs | None) -> str | None:
    """A temp folder the cluster's owner can reach (pytest's own tmp is root-only)."""
    default = tempfile.gettempdir()
    if run_as is None:
        return None
    for candidate in (default, "/tmp", "/var/tmp"):
        mode = os.stat(candidate).st_mode
        if mode & 0o001:  # others may traverse it
            return candidate
    return default


@dataclass
class PostgresServer:
    """One throwaway cluster. ``start()``, then ``url(dbname)``; ``stop()`` removes it."""

    durable: bool = False  # True: fsync on, for benchmarks that compare with SQLite FULL
    bin_dir: Path | None = None
    base_dir: Path = field(init=False)
    port: int = field(init=False, default=0)
    _run_as: RunAs | None = field(init=False, default=None)
    _names: Iterator[int] = field(init=False, default_factory=itertools.count)
    _started: bool = field(init=False, default=False)
    # template -> a copy of it being made for the next test that asks (copy_database)
    _spare: dict[str, concurrent.futures.Future[str]] = field(init=False, default_factory=dict)
    _spares: concurrent.futures.ThreadPoolExecutor | None = field(init=False, default=None)

    @property
    def data_dir(self) -> Path:
        return self.base_dir / "data"

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{dbname}"

    def _dsn(self, dbname: str = "postgres") -> str:
        return f"host=127.0.0.1 port={self.port} user={SUPERUSER} dbname={dbname}"

    def _run(self, args: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        owner = self._run_as
        extra: dict[str, object] = {}
        if owner is not None:
            extra = {"user": owner.uid, "group": owner.gid, "extra_groups": []}
        return subprocess.run(  # type: ignore[call-overload,no-any-return]
            args, capture_output=True, text=True, check=False, **extra, **kwargs
        )

    def start(self) -> PostgresServer:
        self.bin_dir = self.bin_dir or find_bin_dir()
        if self.bin_dir is None:
            raise PostgresUnavailable(INSTALL_HINT)
        self._run_as = _run_as()
        self.base_dir = Path(tempfile.mkdtemp(prefix="kiosk-pg-", dir=_temp_parent(self._run_as)))
        if self._run_as is not None:
            os.chown(self.base_dir, self._run_as.uid, self._run_as.gid)
        try:
            self._initdb()
            self._start_on_free_port()
        except BaseException:
            shutil.rmtree(self.base_dir, ignore_errors=True)
            raise
        self._started = True
        self._start_watchdog()
        atexit.register(self.stop)
        return self

    def _initdb(self) -> None:
        assert self.bin_dir is not None
        args = [str(self.bin_dir / "initdb"), "-D", str(self.data_dir), "-U", SUPERUSER]
        args += ["--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync"]
        done = self._run(args, cwd=self.base_dir)
        if done.returncode != 0:
            raise PostgresUnavailable(f"initdb failed: {done.stderr.strip() or done.stdout}")

    def _start_on_free_port(self) -> None:
        assert self.bin_dir is not None
        settings = ["listen_addresses=127.0.0.1", f"unix_socket_directories={self.base_dir}"]
        settings += ["max_connections=200"]
        if not self.durable:
            settings += FAST_SETTINGS
        problem = ""
        for _attempt in range(3):  # a free port can be taken between our check and the bind
            self.port = _free_port()
            options = " ".join(f"-c {s}" for s in [f"port={self.port}", *settings])
            args = [str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-w", "-t", "60"]
            args += ["-l", str(self.base_dir / "server.log"), "-o", options, "start"]
            done = self._run(args, cwd=self.base_dir)
            if done.returncode == 0:
                return
            problem = self._log_tail() or done.stderr
        raise PostgresUnavailable(f"the PostgreSQL server did not start: {problem.strip()}")

    def _log_tail(self) -> str:
        try:
            return "\n".join((self.base_dir / "server.log").read_text().splitlines()[-5:])
        except OSError:
            return ""

    def _start_watchdog(self) -> None:
        args = [sys.executable, "-c", _WATCHDOG, str(os.getpid())]
        args += [str(self.data_dir), str(self.base_dir)]
        subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def stop(self) -> None:
        if not self._started:
            return
        self._started = False
        if self._spares is not None:
            self._spares.shutdown(wait=True, cancel_futures=True)
        assert self.bin_dir is not None
        pg_ctl = str(self.bin_dir / "pg_ctl")
        self._run([pg_ctl, "-D", str(self.data_dir), "-m", "immediate", "-w", "stop"])
        shutil.rmtree(self.base_dir, ignore_errors=True)

    # -- databases -----------------------------------------------------------------------

    def execute(self, sql: str) -> None:
        """Run one statement as the superuser outside a transaction (CREATE DATABASE...)."""
        import psycopg

        with psycopg.connect(self._dsn(), autocommit=True) as conn:
            conn.execute(sql.encode())

    def new_name(self) -> str:
        """A database name no other test of this run uses."""
        return f"kiosk_{os.getpid()}_{next(self._names)}"

    def create_database(self, name: str | None = None, *, template: str = "template0") -> str:
        name = name or self.new_name()
        self.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return name

    def copy_database(self, template: str, name: str) -> None:
        """Make database ``name`` a copy of ``template``, as ``create_database`` does, but
        from a copy made in the background while the previous test ran (a rename takes
        milliseconds; ``CREATE DATABASE`` a few tenths of a second). The template must not
        change once copied: the spare was made from it as it was then."""
        if self._spares is None:
            self._spares = concurrent.futures.ThreadPoolExecutor(1, "spare-databases")
        spare = self._spare.pop(template, None)
        if spare is None:  # the template's first copy: none made yet
            self.create_database(name, template=template)
        else:
            self.execute(f'ALTER DATABASE "{spare.result()}" RENAME TO "{name}"')
        self._spare[template] = self._spares.submit(self.create_database, template=template)

    @contextlib.contextmanager
    def fast_writes(self) -> Iterator[None]:
        """fsync off for a bulk load into a durable server, then on again (and a checkpoint,
        so what was loaded is on disk before anything is measured)."""
        names = ("fsync", "synchronous_commit", "full_page_writes")
        for name in names:
            self.execute(f"ALTER SYSTEM SET {name} = off")
        self.execute("SELECT pg_reload_conf()")
        try:
            yield
        finally:
            for name in names:
                self.execute(f"ALTER SYSTEM RESET {name}")
            self.execute("SELECT pg_reload_conf()")
            self.execute("CHECKPOINT")

    def drop_database(self, name: str) -> None:
        """Drop ``name``, and the spare copy of it if one was made (a template dropped and
        built again must not be copied as it was)."""
        spare = self._spare.pop(name, None)
        if spare is not None:
            self.drop_database(spare.result())
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def migrated_template(self) -> str:
        """A database with every migration applied, to copy (fast) for each test."""
        import psycopg

        with psycopg.connect(self._dsn(), autocommit=True) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (TEMPLATE_DB,)
            ).fetchone()
        if not exists:
            from kiosk.db import open_database

            self.create_database(TEMPLATE_DB)
            engine = open_database(self.url(TEMPLATE_DB)).engine
            engine.dispose()  # a template must have no open connections when copied
        return TEMPLATE_DB

    @contextlib.contextmanager
    def fresh_database(self, *, migrated: bool) -> Iterator[str]:
        """A new database (migrated, or empty) for one test; dropped afterwards."""
        template = self.migrated_template() if migrated else "template0"
        name = self.new_name()
        self.copy_database(template, name)
        try:
            yield self.url(name)
        finally:
            self.drop_database(name)

    @contextlib.contextmanager
    def reserved_database(self) -> Iterator[str]:
        """A URL whose database the caller creates (from a template of its choice), dropped
        afterwards if it was."""
        name = self.new_name()
        try:
            yield self.url(name)
        finally:
            self.drop_database(name)


_shared: PostgresServer | None = None
_failure: PostgresUnavailable | None = None


def shared_server() -> PostgresServer:
    """The one server of this process, started on first use (a failure is remembered)."""
    global _shared, _failure
    if _shared is not None:
        return _shared
    if _failure is not None:
        raise _failure
    try:
        _shared = PostgresServer().start()
    except PostgresUnavailable as exc:
        _failure = exc
        raise
    return _shared


def required() -> bool:
    return os.environ.get(REQUIRE_ENV, "") not in ("", "0")


def server_for_tests() -> PostgresServer:
    """The shared server; skip the test when there is none, or fail when it is required."""
    import pytest

    try:
        return shared_server()
    except PostgresUnavailable as exc:
        if required():
            pytest.fail(f"PostgreSQL is required ({REQUIRE_ENV}=1) but: {exc}", pytrace=False)
        pytest.skip(f"PostgreSQL not available: {exc}")
