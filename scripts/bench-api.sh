#!/usr/bin/env bash
# The REST API benchmark: a release closerd on a fresh SQLite file, loaded from a
# second process (closer-load) on loopback. Alternates the bare /healthz and the
# authenticated campaign list, ROUNDS times, so both see the same machine noise.
#
#   scripts/bench-api.sh [seconds per run] [connections] [rounds]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-5}" connections="${2:-32}" rounds="${3:-3}"

cargo build --release --quiet --bin closerd --bin closer-load
dir="$(mktemp -d)"
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$dir"' EXIT
cat >"$dir/closerd.toml" <<TOML
[server]
listen = "127.0.0.1:0"
[store]
url = "sqlite://$dir/closer.db"
[security]
secret_key_file = "$dir/secret.key"
[log]
level = "warn,closer_daemon=info"
TOML
target/release/closerd --config "$dir/closerd.toml" 2>"$dir/closerd.log" &
pid=$!
for _ in $(seq 100); do
    addr="$(grep -o 'listening on [0-9.:]*' "$dir/closerd.log" | awk '{print $3}' || true)"
    [ -n "$addr" ] && break
    sleep 0.1
done
[ -n "$addr" ] || { cat "$dir/closerd.log"; exit 1; }
base="http://$addr"
token="$(target/release/closer-load setup --base "$base" --campaigns 20)"

echo "path requests rps p50_ms p99_ms errors ($connections connections, ${seconds}s per run)"
for _ in $(seq "$rounds"); do
    target/release/closer-load run --base "$base" --path /healthz --connections "$connections" --seconds "$seconds"
    target/release/closer-load run --base "$base" --path /api/v1/campaigns --token "$token" \
        --connections "$connections" --seconds "$seconds"
done
echo "closerd peak memory: $(grep VmHWM /proc/$pid/status | awk '{print $2, $3}')"
