#!/usr/bin/env bash
# W8's peers for kcsync-bench: Loro and Yrs (pycrdt) from PyPI, in a virtual environment of
# their own, then peers.py with the bench's arguments (notes, updates, body length, runs).
# Prints one JSON object. KCSYNC_PEERS_VENV says where the environment lives.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="${KCSYNC_PEERS_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/kcsync-bench-peers}"
if ! "$venv/bin/python" -c "import loro, pycrdt" 2>/dev/null; then
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install --quiet --disable-pip-version-check "loro==1.17.1" "pycrdt==0.14.13" >&2
fi
exec "$venv/bin/python" "$here/peers.py" "$@"
