#!/usr/bin/env bash
# Install what the kiosk needs on Debian/Ubuntu (root or sudo): system packages, then a
# virtual environment in .venv with the kiosk installed. Safe to run again: once installed,
# it checks and returns without touching the network until pyproject.toml changes.
#   scripts/setup.sh                 runtime only
#   scripts/setup.sh --test          also what the tests need (xvfb, PostgreSQL, poppler, pytest...)
#   scripts/setup.sh --offline DIR   Python packages from a wheelhouse folder made by
#                                    scripts/wheelhouse.sh on a PC with internet (no index used)
set -euo pipefail
cd "$(dirname "$0")/.."

RUNTIME_DEBS=(python3 python3-venv python3-pip libzbar0 libgl1 libegl1 libglib2.0-0
  libfontconfig1 libdbus-1-3 libxkbcommon0 libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4
  libxcb-keysyms1 libxcb-shape0 libxcb-xinerama0 libxcb-randr0 libxcb-render-util0
  libxcb-image0 libxcb-xkb1 libpulse0 fonts-dejavu-core)
TEST_DEBS=(xvfb xauth poppler-utils postgresql sqlite3)

extras="runtime"
wheelhouse=""
while (($#)); do
  case "$1" in
    --test) extras="test" ;;
    --offline) wheelhouse="${2:?--offline needs the wheelhouse folder}"; shift ;;
    *) echo "scripts/setup.sh: unknown option $1 (use --test, --offline DIR)" >&2; exit 2 ;;
  esac
  shift
done

want=("${RUNTIME_DEBS[@]}")
[[ $extras == test ]] && want+=("${TEST_DEBS[@]}")
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

# The stamp names what was installed from which pyproject.toml: a matching stamp means
# nothing to do (so the kiosk starts with no network), a test install covers the runtime.
stamp=.venv/installed
fingerprint=$(sha256sum pyproject.toml | cut -c1-16)
if [[ -f $stamp ]] && grep -qx "$fingerprint test" "$stamp"; then exit 0; fi
if [[ -f $stamp && $extras == runtime ]] && grep -qx "$fingerprint runtime" "$stamp"; then exit 0; fi

target="."
[[ $extras == test ]] && target=".[test]"
pip=(.venv/bin/python -m pip install -q --disable-pip-version-check)
if [[ -n $wheelhouse ]]; then
  pip+=(--no-index --find-links "$wheelhouse")
else
  "${pip[@]}" --upgrade pip
fi
# The build back-end is installed into the venv once and used from there, so a later
# reinstall needs no index for it either.
"${pip[@]}" "setuptools>=77" wheel
"${pip[@]}" --no-build-isolation -e "$target"
echo "$fingerprint $extras" > "$stamp"
