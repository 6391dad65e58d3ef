"""Files only the kiosk's own user may read, on Linux, macOS and Windows.

On POSIX systems the kiosk's files are made 0600 and its folders 0700. Windows has no such
modes (``os.chmod`` there only sets or clears the read-only flag, and ``mkdir``'s mode is
ignored): the data folder is in the user's profile (platformdirs' user data folder, under
``%LOCALAPPDATA%``), whose access list already admits only that user, SYSTEM and the
administrators, and files made there inherit it. So on Windows ``make_private`` changes
nothing, and a data folder put elsewhere (``KIOSK_DATA_DIR``) has that folder's access list.
"""

from __future__ import annotations

import os
from pathlib import Path

POSIX = os.name == "posix"


def make_private(path: Path) -> None:
    """``path`` readable and writable by its owner alone (POSIX; see above for Windows)."""
    if POSIX:
        os.chmod(path, 0o600)
