#!/usr/bin/env bash
# Set up (first time only) and run the kiosk on a SQLite file, with a demo school when the
# database is empty. Extra arguments go to `kiosk demo` (e.g. --windowed, --camera none);
# `scripts/kiosk.sh run ...` runs a real school instead (`kiosk run`: no demo data).
# After the first run it starts with no network: setup.sh returns at once when installed.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
if [ "${1:-}" = "run" ]; then
    shift
    exec .venv/bin/kiosk run "$@"
fi
exec .venv/bin/kiosk demo "$@"
