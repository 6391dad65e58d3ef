#!/usr/bin/env bash
# On a PC with internet and the same Python version and processor as the kiosk PC, fetch
# every Python package the kiosk needs into a folder; carry the folder over and run
#   scripts/setup.sh --offline DIR
# there. (The Debian packages in scripts/setup.sh come from the school's own apt mirror or
# installation media.)  Usage: scripts/wheelhouse.sh DIR [--test]
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:?usage: scripts/wheelhouse.sh DIR [--test]}
target="."
[[ ${2:-} == --test ]] && target=".[test]"
mkdir -p "$dir"
python3 -m pip download -q --dest "$dir" "setuptools>=77" wheel
python3 -m pip wheel -q --wheel-dir "$dir" "$target"
echo "Wheelhouse ready in $dir: copy it to the kiosk PC and run scripts/setup.sh --offline $dir"
