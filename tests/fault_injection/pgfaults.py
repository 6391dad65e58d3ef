"""Faults on a real PostgreSQL server the tests started (``tests/pgserver.py``): stopping
it (fast, immediate, SIGKILL), pausing it (SIGSTOP/SIGCONT on every server process), and
a TCP proxy that cuts a connection at the moment it carries a COMMIT."""

from __future__ import annotations

import contextlib
import os
import select
import signal
import socket
import threading
import time
from pathlib import Path

from pgserver import FAST_SETTINGS, PostgresServer

COMMIT = b"Q\x00\x00\x00\x0bCOMMIT\x00"  # the simple-protocol COMMIT psycopg sends


def postmaster(server: PostgresServer) -> int:
    return int((server.data_dir / "postmaster.pid").read_text().splitlines()[0])


def server_processes(server: PostgresServer) -> list[int]:
    """The postmaster and every process it started (backends, background workers)."""
    parent = postmaster(server)
    found = [parent]
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == parent:
            found.append(int(entry.name))
    return found


def _signal_all(pids: list[int], signum: int) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)


def pause(server: PostgresServer) -> list[int]:
    """Freeze the server as a hung machine would: its kernel still acknowledges packets."""
    pids = server_processes(server)
    _signal_all(pids, signal.SIGSTOP)
    return pids


def resume(pids: list[int]) -> None:
    _signal_all(pids, signal.SIGCONT)


def halt(server: PostgresServer, how: str) -> None:
    """``fast`` or ``immediate`` (pg_ctl stop -m), or ``kill`` (SIGKILL to every server
    process, as a power cut would leave it)."""
    if how == "kill":
        pids = server_processes(server)
        _signal_all(pids, signal.SIGKILL)
        for pid in pids:
            _wait_gone(pid)
        # The lock files name the dead postmaster, still a zombie until init reaps it,
        # which PostgreSQL would take for a live one: stale, as after a power cut.
        (server.data_dir / "postmaster.pid").unlink(missing_ok=True)
        (server.base_dir / f".s.PGSQL.{server.port}.lock").unlink(missing_ok=True)
        return
    assert server.bin_dir is not None
    pg_ctl = str(server.bin_dir / "pg_ctl")
    done = server._run([pg_ctl, "-D", str(server.data_dir), "-m", how, "-w", "stop"])
    assert done.returncode == 0, done.stderr


def _wait_gone(pid: int, timeout_s: float = 10.0) -> None:
    end = time.monotonic() + timeout_s
    while time.monotonic() < end and _alive(pid):
        time.sleep(0.02)


def _alive(pid: int) -> bool:
    """Not a zombie: a killed server process has released its port, files and shared
    memory by then, and waiting until init reaps it took a second or more here."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def start_again(server: PostgresServer) -> None:
    """Start the stopped server on the same port (clients reconnect to the same URL)."""
    assert server.bin_dir is not None
    settings = [f"port={server.port}", "listen_addresses=127.0.0.1"]
    settings += [f"unix_socket_directories={server.base_dir}", "max_connections=200"]
    # Recovery after a kill first fsyncs every file of the cluster (5-8 s here); syncfs
    # flushes the file system at once. What the test relies on is the same either way: a
    # kill leaves the page cache, and WAL was flushed at each acknowledged commit.
    settings += ["recovery_init_sync_method=syncfs"]
    if not server.durable:
        settings += list(FAST_SETTINGS)
    options = " ".join(f"-c {s}" for s in settings)
    args = [str(server.bin_dir / "pg_ctl"), "-D", str(server.data_dir), "-w", "-t", "60"]
    args += ["-l", str(server.base_dir / "server.log"), "-o", options, "start"]
    done = server._run(args, cwd=server.base_dir)
    assert done.returncode == 0, done.stderr or done.stdout


class CommitCutter:
    """A TCP proxy in front of the server. ``arm(when)`` makes it cut the next connection
    that sends a COMMIT: ``"after"`` forwards the COMMIT and then cuts (the server commits;
    the kiosk never hears so), ``"before"`` cuts without forwarding it (nothing saved)."""

    def __init__(self, server_port: int) -> None:
        self.server_port = server_port
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._armed: str | None = None
        self.cuts = 0
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def arm(self, when: str) -> None:
        with self._lock:
            self._armed = when

    def _take(self) -> str | None:
        with self._lock:
            when, self._armed = self._armed, None
            return when

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.server_port))
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()

    def _pump(self, client: socket.socket, upstream: socket.socket) -> None:
        peers = {client: upstream, upstream: client}
        try:
            while True:
                ready, _, _ = select.select(list(peers), [], [])
                for sock in ready:
                    data = sock.recv(65536)
                    if not data:
                        return
                    if sock is client and COMMIT in data and self._cut_here(data, upstream):
                        return
                    peers[sock].sendall(data)
        except OSError:
            return
        finally:
            for sock in peers:
                sock.close()

    def _cut_here(self, data: bytes, upstream: socket.socket) -> bool:
        when = self._take()
        if when is None:
            return False
        if when == "after":
            upstream.sendall(data)
            time.sleep(0.2)  # the server reads the COMMIT before it sees the line drop
        self.cuts += 1
        return True

    def close(self) -> None:
        self._listener.close()
