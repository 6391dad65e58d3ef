#!/usr/bin/env bash
# Set up (first time) and run the kiosk on a SQLite file, with a demo school when the
# database is empty. Extra arguments go to `kiosk demo` (e.g. --windowed, --camera none).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/kiosk demo "$@"
