"""The signed audit record (issue 14) against the code before it, side by side in one run.

On reports.py's school year (~600,000 audit events, cached under /tmp at the schema both
codes know), two private copies: the old code's as it is, and the new code's upgraded
(salt column, CHECK, signed heads), its school root set up, this kiosk enrolled and a
year of daily key rotations (190 epoch events, each certified by the key before it).

- ``verify-log --db COPY``: the old command (run from the baseline checkout) against the
  new one with ``--fingerprint`` (hash chain + every epoch certificate + the heads +
  redactions), each in its own process, alternated; wall and CPU (the process and its
  children, so the old two-process verify's worker is counted).
- hand-in latency (benchmarks/handin.py's morning: 200 pupils by card, repeats,
  collections) on each copy in its own process: the new one signs every head in the
  hand-in's transaction. The signing itself (the hook's time) is reported per hand-in.

    .venv/bin/python benchmarks/record.py [--baseline /work/baseline] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _support import ROOT, load_note, percentile, record
from _table import print_table

EPOCHS = 190  # a school year of daily keys

_MORNING = """
import json, sys, time
sys.path[:0] = [{root!r}, {root!r} + '/benchmarks', {root!r} + '/tests']
import handin
from kiosk import db
signing = []
if {signed!r}:
    from kiosk.keystore import KeyStore
    from kiosk.record import seal
    from kiosk.services import audit
    opened = db.open_database
    def open_signed(url, **kw):
        database = opened(url, **kw)
        engine = database.engine
        sealer, why = seal.load(engine, KeyStore({keys!r}), 'kiosk-1')
        assert sealer is not None, why
        def timed(conn, seq, hashed):
            began = time.perf_counter()
            sealer.sign_head(conn, seq, hashed)
            signing.append((time.perf_counter() - began) * 1000)
        audit.HEAD_SIGNERS[engine] = timed
        return database
    handin.open_database = open_signed
t = handin.morning({url!r}, 'SQLite', {hand_ins})
print(json.dumps({{'calls': t.calls, 'cpu': t.cpu, 'signing': signing}}))
"""


def _copy(source: Path, folder: Path, name: str) -> Path:
    import sqlite3

    target = folder / name
    with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    return target


def prepare(folder: Path) -> tuple[Path, Path, Path, str]:
    """(old copy, new copy, new key store folder, fingerprint)."""
    import reports

    if not reports.CACHE.is_file():
        raise SystemExit(f"{reports.CACHE} is missing: run benchmarks/reports.py first")
    old = _copy(reports.CACHE, folder, "old.db")
    new = _copy(reports.CACHE, folder, "new.db")
    from kiosk.config import sqlite_url
    from kiosk.db import open_database
    from kiosk.keystore import KeyStore
    from kiosk.record import seal
    from kiosk.services import audit
    from kiosk.services.audit import Actor

    began = time.perf_counter()
    sessions = open_database(sqlite_url(new))  # upgrades (rebuilds the table)
    engine = sessions.engine
    upgraded = time.perf_counter() - began
    keys_folder = folder / "new-kiosk"
    store = KeyStore(keys_folder)
    recovery = seal.setup_school(sessions, store, "kiosk-1", Actor(1, "Admin"))
    sealer, why = seal.load(engine, store, "kiosk-1")
    assert sealer is not None, why
    for _ in range(EPOCHS):
        sealer.rotate(sessions)
    audit.HEAD_SIGNERS.pop(engine, None)
    engine.dispose()
    print(f"Upgrade of the year's copy to the new schema: {upgraded:.1f} s", flush=True)
    return old, new, keys_folder, recovery.fingerprint


def _run(args: list[str], cwd: Path) -> tuple[float, float, str]:
    """Wall and CPU seconds (the process and all it waited for) and its output."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode not in (0,):
        raise SystemExit(
            f"{' '.join(args)} failed ({done.returncode}):\n{done.stdout}{done.stderr}"
        )
    return wall, cpu, done.stdout


def verify_rounds(baseline: Path, old: Path, new: Path, fingerprint: str, rounds: int):
    python = sys.executable
    times: dict[str, list[tuple[float, float]]] = {"old": [], "new": []}
    said = ""
    for _ in range(rounds):
        times["old"].append(
            _run([python, "-m", "kiosk", "verify-log", "--db", str(old)], baseline)[:2]
        )
        wall, cpu, said = _run(
            [python, "-m", "kiosk", "verify-log", "--db", str(new), "--fingerprint", fingerprint],
            ROOT,
        )
        times["new"].append((wall, cpu))
    return times, said


def morning(tree: Path, url_path: Path, keys: Path | None, hand_ins: int) -> dict[str, object]:
    from kiosk.config import sqlite_url

    code = _MORNING.format(
        root=str(tree),
        signed=keys is not None,
        keys=str(keys),
        url=sqlite_url(url_path),
        hand_ins=hand_ins,
    )
    env = {**os.environ, "PYTHONPATH": ""}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tree, capture_output=True, text=True, env=env, check=False
    )
    if done.returncode:
        raise SystemExit(f"the morning in {tree} failed:\n{done.stderr[-3000:]}")
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _pool(into: dict[str, Any], result: dict[str, Any]) -> None:
    """Add one morning's timings (without each run's first, connection-opening call)."""
    into.setdefault("calls", {}).setdefault("hand-in", []).extend(result["calls"]["hand-in"][1:])
    into.setdefault("cpu", {}).setdefault("hand-in", []).extend(result["cpu"]["hand-in"][1:])
    into.setdefault("signing", []).extend(result["signing"])
    into["hand_ins"] = into.get("hand_ins", 0) + len(result["calls"]["hand-in"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, default=Path("/work/baseline"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--hand-ins", type=int, default=200)
    args = parser.parse_args()
    if not (args.baseline / "kiosk").is_dir():
        print(f"No baseline checkout at {args.baseline} (the code before issue 14): skipped.")
        return 0
    folder = Path(tempfile.mkdtemp(prefix="kiosk-bench-record-"))
    try:
        old, new, keys, fingerprint = prepare(folder)
        times, said = verify_rounds(args.baseline, old, new, fingerprint, args.rounds)
        mornings: dict[str, dict[str, Any]] = {}
        for _ in range(args.rounds):  # alternated, each on a fresh copy, pooled
            for code, tree, source, signing in (
                ("old", args.baseline, old, None),
                ("new", ROOT, new, keys),
            ):
                work = folder / f"{code}-morning.db"
                shutil.copyfile(source, work)
                _pool(mornings.setdefault(code, {}), morning(tree, work, signing, args.hand_ins))
                work.unlink()
        report(times, mornings, said)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


def report(
    times: dict[str, list[tuple[float, float]]], mornings: dict[str, dict], said: str
) -> None:
    rows = []
    for code in ("old", "new"):
        walls, cpus = [w for w, _ in times[code]], [c for _, c in times[code]]
        rows.append(
            [
                f"verify-log ({code})",
                len(walls),
                f"{min(walls):.2f}",
                f"{percentile(walls, 0.5):.2f}",
                f"{min(cpus):.2f}",
                f"{percentile(cpus, 0.5):.2f}",
            ]
        )
    print_table(
        f"verify-log --db on the year (s, each run its own process); {load_note()}",
        ["command", "runs", "wall min", "wall p50", "cpu min", "cpu p50"],
        rows,
    )
    print("\nThe new verify said:\n" + said)
    rows = []
    for code in ("old", "new"):
        calls = mornings[code]["calls"]["hand-in"]
        cpu = mornings[code]["cpu"]["hand-in"]
        rows.append(
            [
                f"hand-in ({code})",
                len(calls),
                f"{percentile(calls, 0.5):.2f}",
                f"{percentile(calls, 0.95):.2f}",
                f"{percentile(cpu, 0.5):.2f}",
                f"{percentile(cpu, 0.95):.2f}",
            ]
        )
    print_table(
        f"Hand-in by card on the year's database (ms); {load_note()}",
        ["call", "n", "wall p50", "wall p95", "cpu p50", "cpu p95"],
        rows,
    )
    signing = mornings["new"]["signing"]
    hand_ins = mornings["new"]["hand_ins"]
    per = sum(signing) / max(len(signing), 1)
    print(
        f"\nSigning (Ed25519 + the head row's UPDATE, inside the transaction): {len(signing)} "
        f"heads for {hand_ins} hand-ins (each hand-in, repeat or collection signs one); "
        f"per head p50 {percentile(signing, 0.5) * 1000:.0f} us, "
        f"p95 {percentile(signing, 0.95) * 1000:.0f} us, mean {per * 1000:.0f} us."
    )
    old_v, new_v = (min(w for w, _ in times[c]) for c in ("old", "new"))
    record(
        "record",
        "verify-log wall, new / old",
        f"{new_v:.2f} / {old_v:.2f} s",
        "<= 1.2x",
        new_v <= 1.2 * old_v,
    )
    old_h = percentile(mornings["old"]["calls"]["hand-in"], 0.95)
    new_h = percentile(mornings["new"]["calls"]["hand-in"], 0.95)
    record(
        "record",
        "hand-in p95, new / old",
        f"{new_h:.2f} / {old_h:.2f} ms",
        "<= 1.2x",
        new_h <= 1.2 * old_h,
    )
    record("record", "signing per head (p50)", f"{percentile(signing, 0.5) * 1000:.0f} us")


if __name__ == "__main__":
    sys.exit(main())
