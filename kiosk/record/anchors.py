"""Anchors outside the database: each day's last signed head, copied to a second place.

At each key rotation the kiosk writes the outgoing key's final statement (its last head,
``seq`` and ``hash``, and its successor's key, with the signature from the chain's
``audit_key_epoch`` event) as a small JSON file into ``anchor_dir`` (another drive or a
network share: see ``kiosk.config``). Someone who later rolls the database back to an
old backup, or rewrites it, cannot reach those files; ``kiosk verify-log`` finds every
anchor there and fails unless the chain still holds that exact event and that exact
epoch event. An anchor is public material: it holds no secret.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.clock import local_date

SUFFIX = ".anchor.json"


@dataclass(frozen=True)
class Anchor:
    path: Path
    line: str
    epoch: int
    seq: int  # the last event of the previous epoch, which the signature binds
    hash: str
    signature: str
    at: str


def write(
    folder: Path, line: str, at: dt.datetime, seq: int, hash_: str, details: dict[str, Any]
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{line}-{local_date(at):%Y%m%d}-e{details['epoch']}{SUFFIX}"
    record = {
        "line": line,
        "epoch": details["epoch"],
        "key": details["key"],
        "seq": seq,
        "hash": hash_,
        "signature": details["signature"],
        "at": at.isoformat(sep=" "),
    }
    path = folder / name
    temporary = folder / f".{name}.tmp"
    with temporary.open("w", encoding="utf-8") as handle:
        json.dump(record, handle, indent=1)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    return path


def read_all(folder: Path) -> tuple[list[Anchor], list[str]]:
    """Every anchor in ``folder`` (oldest first), and the files that could not be read."""
    found: list[Anchor] = []
    unreadable: list[str] = []
    if not folder.is_dir():
        return found, unreadable
    for path in sorted(folder.glob(f"*{SUFFIX}")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            found.append(
                Anchor(
                    path,
                    str(data["line"]),
                    int(data["epoch"]),
                    int(data["seq"]),
                    str(data["hash"]),
                    str(data["signature"]),
                    str(data["at"]),
                )
            )
        except (OSError, ValueError, KeyError, TypeError):
            unreadable.append(path.name)
    found.sort(key=lambda anchor: anchor.seq)
    return found, unreadable
