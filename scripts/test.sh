#!/usr/bin/env bash
# Set up (first time) and run every check: formatting, lint, types, the whole test suite
# (real Qt widgets offscreen and under Xvfb, a real SQLite file, a PostgreSQL server the
# tests start themselves, real decoders on real images).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
export QT_QPA_PLATFORM=offscreen
export KIOSK_REQUIRE_POSTGRES=1
export KIOSK_TEST_ARTIFACTS="${KIOSK_TEST_ARTIFACTS:-$PWD/artifacts}"
echo "== ruff format"; .venv/bin/ruff format --check --quiet .
echo "== ruff check"; .venv/bin/ruff check --quiet .
echo "== mypy"; .venv/bin/mypy
echo "== pytest"
# One worker a core, up to 4 (pytest-xdist; each worker starts its own PostgreSQL server).
# Arguments come after, so "-n 0" runs the tests in this one process.
workers=$(nproc)
(( workers > 4 )) && workers=4
xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python -m pytest -q -p no:cacheprovider \
    -n "$workers" "$@"
if [ $# -eq 0 ]; then
    # The tests that need a real screen (the kiosk's full-screen window, grabbed; full screen
    # on a screen as big as a kiosk's): the run above is offscreen, so it skipped them there.
    echo "== pytest: full-screen kiosk window under Xvfb"
    QT_QPA_PLATFORM=xcb xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python -m pytest \
        -q -p no:cacheprovider tests/ui/kiosk_screen/test_screenshots.py \
        tests/ui/kiosk_screen/test_window.py -k "full_screen_window or full_screen_kiosk_mode"
fi
