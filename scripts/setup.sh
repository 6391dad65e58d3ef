#!/usr/bin/env bash
# Install what the kiosk needs on Debian/Ubuntu (root or sudo): system packages, then a
# virtual environment in .venv with the kiosk installed. Safe to run again.
#   scripts/setup.sh          runtime only
#   scripts/setup.sh --test   also what the tests need (xvfb, PostgreSQL, poppler, pytest...)
set -euo pipefail
cd "$(dirname "$0")/.."

RUNTIME_DEBS=(python3 python3-venv python3-pip libzbar0 libgl1 libegl1 libglib2.0-0
  libfontconfig1 libdbus-1-3 libxkbcommon0 libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4
  libxcb-keysyms1 libxcb-shape0 libxcb-xinerama0 libxcb-randr0 libxcb-render-util0
  libxcb-image0 libxcb-xkb1 libpulse0 fonts-dejavu-core)
TEST_DEBS=(xvfb xauth poppler-utils postgresql)

want=("${RUNTIME_DEBS[@]}")
extras="."
if [[ "${1:-}" == "--test" ]]; then
  want+=("${TEST_DEBS[@]}")
  extras=".[test]"
fi

missing=()
for pkg in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "Installing system packages: ${missing[*]}"
  SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "Python 3.11 or newer is needed (found $("$PYTHON" --version))." >&2
  exit 1
fi
[[ -x .venv/bin/python ]] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e "$extras"
