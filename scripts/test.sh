#!/usr/bin/env bash
# Runs every check and test of Closer, MongoDB included. This is the README's test
# command, and CI's (.ci/run calls exactly this).
#
# A MongoDB server comes from CLOSER_TEST_MONGODB_URI if set; otherwise
# scripts/mongodb-test-server.sh installs and starts one (and this script stops it
# again if it was not running before). The MongoDB tests never skip: no server, red run.
set -euo pipefail
cd "$(dirname "$0")/.."

# A fresh checkout gains nothing from incremental compilation, and its caches would
# double the target directory. Export CARGO_INCREMENTAL=1 to keep them locally.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

step() { printf '\n==> %s\n' "$*" >&2; }

if [ -z "${CLOSER_TEST_MONGODB_URI:-}" ]; then
    if ! scripts/mongodb-test-server.sh status >/dev/null 2>&1; then
        trap 'scripts/mongodb-test-server.sh stop >/dev/null 2>&1 || true' EXIT
    fi
    step "MongoDB test server"
    CLOSER_TEST_MONGODB_URI="$(scripts/mongodb-test-server.sh start)"
    export CLOSER_TEST_MONGODB_URI
fi

step "tools for the console tests (tmux)"
scripts/test-tools.sh

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo test"
cargo test --workspace --locked
