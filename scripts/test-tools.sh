#!/usr/bin/env bash
# test-tools.sh — makes sure the programs Closer's tests drive are installed.
#
# Usage:
#   scripts/test-tools.sh     install what is missing (apt-get, as root or with sudo)
#
# What and why:
# - tmux: the console's end-to-end tests (tests/console.rs) run the real `closer-tui` in
#   a real terminal that tmux provides, typing keys with `send-keys` and reading the
#   screen with `capture-pane`. Those tests fail, never skip, when tmux is missing, and
#   say to run this script.
#
# scripts/test.sh calls this before `cargo test`; CI runs that on a fresh machine as
# root. Progress goes to stderr; a failure says what to do instead.

set -euo pipefail

fail() {
    printf 'test-tools: %s\n' "$*" >&2
    exit 1
}

# Runs a command as root: directly when we are root, else through sudo if there is one.
as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        return 1
    fi
}

install_tmux() {
    command -v apt-get >/dev/null 2>&1 \
        || fail "tmux is missing and there is no apt-get here: install tmux with your package manager (e.g. brew install tmux)"
    printf 'test-tools: installing tmux with apt-get …\n' >&2
    local log
    log="$(mktemp)"
    if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >"$log" 2>&1 \
        || ! as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends tmux \
            >>"$log" 2>&1; then
        tail -n 20 "$log" >&2
        rm -f "$log"
        fail "could not install tmux with apt-get (output above): install it by hand (apt-get install tmux, as root), then run this again"
    fi
    rm -f "$log"
}

command -v tmux >/dev/null 2>&1 || install_tmux
command -v tmux >/dev/null 2>&1 || fail "tmux is still not on PATH after installing it"

# tmux starts only with a UTF-8 locale, and a server is what the tests need: start one on
# a private socket, so that a broken setup shows here and not as a puzzling test failure.
dir="$(mktemp -d)"
trap 'tmux -S "$dir/check.sock" kill-server >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
if ! out="$(tmux -S "$dir/check.sock" -f /dev/null new-session -d -x 20 -y 5 'sleep 5' 2>&1)"; then
    fail "tmux is installed but cannot start a server: $out"
fi
printf 'test-tools: %s ready\n' "$(tmux -V)" >&2
