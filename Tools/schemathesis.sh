#!/usr/bin/env bash
# The board's API against its contract: schemathesis (https://schemathesis.readthedocs.io)
# reads docs/openapi.yaml and runs every check it has (--checks all) against a real
# `kcsync board serve`, on the data `kcsync demo --once` leaves, with the demo's board
# account. Exits non-zero on any failure. Usage: Tools/schemathesis.sh [MAX_EXAMPLES]
# (KCSYNC names the kcsync binary; by default the debug build, made if missing).
set -euo pipefail
cd "$(dirname "$0")/.."
examples="${1:-100}"
kcsync="${KCSYNC:-.build/debug/kcsync}"
[ -x "$kcsync" ] || swift build --product kcsync

venv=.build-schemathesis
if [ ! -x "$venv/bin/schemathesis" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet "schemathesis==4.32.5"
fi

work="$(mktemp -d)"
server=""
cleanup() {
    [ -n "$server" ] && kill "$server" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

"$kcsync" demo --once --data "$work/demo" --port 0 > "$work/demo.log" 2>&1 || { cat "$work/demo.log"; exit 1; }
secret="$(sed -n 2p "$work/demo/demo-login.txt")"
"$kcsync" board serve --data "$work/demo/board" --port 0 > "$work/serve.log" 2>&1 &
server=$!
port=""
for _ in $(seq 1 100); do
    port="$(grep -o 'ws://127\.0\.0\.1:[0-9]*' "$work/serve.log" | head -1 | cut -d: -f3 || true)"
    [ -n "$port" ] && break
    sleep 0.2
done
[ -n "$port" ] || { echo "board serve did not start:"; cat "$work/serve.log"; exit 1; }

status=0
"$venv/bin/schemathesis" run docs/openapi.yaml --url "http://127.0.0.1:$port" --checks all \
    --max-examples "$examples" --seed 20261201 -H "Authorization: Bearer $secret" || status=$?
if [ "$status" -ne 0 ]; then
    echo "--- the board's log:"
    tail -50 "$work/serve.log"
fi
exit "$status"
