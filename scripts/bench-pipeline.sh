#!/usr/bin/env bash
# The customer-message pipeline benchmark (BENCHMARKS.md, "Pipeline"): a release
# closerd with the rule-based AI, loaded by closer-load from a second process on
# loopback, on SQLite and then on MongoDB.
#
#   (a) webhook acknowledgements: the bare axum route (closer-load bare) and closerd
#       alternating, as fast as answered and at a fixed 10,000/s; closerd as
#       configured (its workers answering what it acknowledges, flat out), then
#       with one worker: its intake nearly alone;
#   (b) customer messages end to end (webhook in, reply at closer-load's fake Send
#       API) at a fixed 50/s and 500/s, and as fast as replies come back (200
#       customers waiting at any time);
#   (c) SQLite only: closerd's peak memory (VmHWM) with 100,000 stored chats, after
#       traffic.
#
# Every round of (a) and (b) gets a fresh closerd on a fresh store, so that no round
# inherits another's backlog; the rounds alternate, so all see the same machine noise.
#
#   scripts/bench-pipeline.sh [rounds]          (ROUNDS=3 by default)
#   SKIP_MONGODB=1 scripts/bench-pipeline.sh    SQLite only
#   SKIP_SQLITE=1 scripts/bench-pipeline.sh     MongoDB only
#   NO_BUILD=1 scripts/bench-pipeline.sh        the release binaries already built
#   SKIP_MEMORY=1 scripts/bench-pipeline.sh     without (c), which seeds for a minute
#   CLOSERD=PATH scripts/bench-pipeline.sh      another closerd binary (an A/B comparison)
#   WORKERS=N scripts/bench-pipeline.sh         closerd's [pipeline] workers (default: closerd's, 128 on SQLite, 512 on MongoDB)
#   PERF=DIR scripts/bench-pipeline.sh          also profile closerd under each load
#                                               (perf record $PERF_ARGS, DIR/NAME.data)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-${ROUNDS:-3}}"
ack_secs="${ACK_SECS:-5}" e2e_secs="${E2E_SECS:-8}" connections="${CONNECTIONS:-32}"
ack_rate="${ACK_RATE:-10000}" e2e_rate="${E2E_RATE:-500}" in_flight="${IN_FLIGHT:-200}"
# A rate the pipeline keeps up with, for its latency when it is not saturated.
e2e_low_rate="${E2E_LOW_RATE:-50}"
seed_chats="${SEED_CHATS:-100000}"
readonly PAGE=104729581234567 SECRET=bench-app-secret EMAIL=owner@bench.example

if [ -z "${NO_BUILD:-}" ]; then
    echo "building release binaries ..." >&2
    cargo build --release --quiet -p closer-daemon -p closer-tests --bins
fi
work="$(mktemp -d)"
# Others build in the same target directory: run copies, not what may be rebuilt meanwhile.
cp "${CLOSERD:-target/release/closerd}" "$work/closerd"
cp target/release/closer-load "$work/"
closerd_bin="$work/closerd" load="$work/closer-load"
results="$work/results"
: >"$results"

pids=() mongodb_stores=()
# closerd's [pipeline] workers, unless (a) asks for one.
daemon_workers="${WORKERS:-}"
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    if [ "${#mongodb_stores[@]}" -gt 0 ]; then
        "$load" drop-mongodb "${mongodb_stores[@]/#/--uri=}" || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# The value of NAME= in a closer-load output line.
field() { tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p"; }
# SIGTERM, and SIGKILL if it has not exited 5 s later.
stop() {
    kill -TERM "$1" 2>/dev/null || true
    for _ in $(seq 50); do
        case "$(ps -o stat= -p "$1" || true)" in '' | Z*) break ;; esac
        sleep 0.1
    done
    kill -KILL "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}
record() { echo "$1 $2 $3" >>"$results"; echo "  $1 $2: $3" >&2; }
# With PERF=DIR, closerd ($daemon) is sampled while the load runs.
profiler=""
profile_start() {
    [ -n "${PERF:-}" ] || return 0
    mkdir -p "$PERF"
    # shellcheck disable=SC2086 # PERF_ARGS is a list of arguments
    perf record -q ${PERF_ARGS:--F 499 -g} -p "$daemon" -o "$PERF/$1.data" 2>/dev/null &
    profiler=$!
}
profile_stop() {
    [ -n "$profiler" ] || return 0
    kill -INT "$profiler" 2>/dev/null || true
    wait "$profiler" 2>/dev/null || true
    profiler=""
}

# start_closerd DIR STORE_URL GRAPH_PORT: sets $daemon (pid) and $base.
start_closerd() {
    local dir="$1"
    mkdir -p "$dir"
    cat >"$dir/closerd.toml" <<TOML
[server]
listen = "127.0.0.1:0"
[store]
url = "$2"
[security]
secret_key_file = "$dir/secret.key"
[log]
level = "warn,closer_daemon=info"
[facebook]
graph_api_base = "http://127.0.0.1:$3"
app_id = "1234567890"
app_secret = "$SECRET"
verify_token = "bench-verify-token"
[ai]
provider = "rules"
${daemon_workers:+[pipeline]
workers = $daemon_workers}
TOML
    "$closerd_bin" --config "$dir/closerd.toml" 2>"$dir/closerd.log" &
    daemon=$!
    pids+=("$daemon")
    local addr=""
    for _ in $(seq 100); do
        addr="$(grep -so 'listening on [0-9.:]*' "$dir/closerd.log" | awk '{print $3}' || true)"
        [ -n "$addr" ] && break
        sleep 0.1
    done
    [ -n "$addr" ] || { cat "$dir/closerd.log" >&2; exit 1; }
    base="http://$addr"
}

# The fake Graph API that answers and forgets (for the page connection and for the
# replies to (a)'s webhooks); sets $graph.
start_graph() {
    "$load" graph --listen "127.0.0.1:$1" --page "$PAGE" >/dev/null &
    graph=$!
    pids+=("$graph")
    for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return; sleep 0.1; done
    echo "the fake Graph API did not start" >&2
    exit 1
}

# A registered owner with the page connected and a live default campaign; $token.
owner() { token="$("$load" setup --base "$base" --campaigns 1 --live --page "$PAGE" --email "$EMAIL")"; }

# fresh_daemon NAME STORE_URL: closerd on a new store, an owner, the page connected,
# and the answer-and-forget Graph API still running ($graph) on $graph_port.
fresh_daemon() {
    [[ "$2" != mongodb* ]] || mongodb_stores+=("$2")
    graph_port="$(free_port)"
    start_graph "$graph_port"
    start_closerd "$work/$1" "$2" "$graph_port"
    owner
}

# store_url KIND NAME: a new store of that kind.
store_url() {
    if [ "$1" = sqlite ]; then
        echo "sqlite://$work/$2/closer.db"
    else
        sed -E "s#^(mongodb(\+srv)?://[^/?]*)/?[^?]*#\1/closer_bench_${2//-/_}_$$#" <<<"$mongodb"
    fi
}

bench_store() {
    local kind="$1" line
    echo "== $kind ==" >&2
    for round in $(seq "$rounds"); do
        echo "round $round of $rounds" >&2
        # (a) The bare route and closerd, as fast as answered, then at a fixed rate.
        bare_port="$(free_port)"
        "$load" bare --listen "127.0.0.1:$bare_port" >/dev/null &
        bare=$!
        pids+=("$bare")
        sleep 0.3
        for rate in max "$ack_rate"; do
            local args=(--secret "$SECRET" --page "$PAGE" --connections "$connections" --duration "$ack_secs")
            [ "$rate" = max ] || args+=(--rate "$rate")
            line="$("$load" webhooks --target "http://127.0.0.1:$bare_port" "${args[@]}")"
            record "$kind" "bare_$rate" "$line"
            local test name
            for test in closerd closerd_1worker; do
                name="ack-$kind-$test-$rate-$round"
                daemon_workers="${WORKERS:-}"
                [ "$test" = closerd ] || daemon_workers=1
                fresh_daemon "$name" "$(store_url "$kind" "$name")"
                profile_start "$name"
                line="$("$load" webhooks --target "$base" "${args[@]}")"
                profile_stop
                record "$kind" "${test}_$rate" "$line"
                stop "$daemon"
                stop "$graph"
            done
            daemon_workers="${WORKERS:-}"
        done
        stop "$bare"

        # (b) End to end: the fake Send API is closer-load e2e's own, on the port
        # closerd was configured with once the page is connected.
        for rate in "$e2e_low_rate" "$e2e_rate" max; do
            fresh_daemon "e2e-$kind-$rate-$round" "$(store_url "$kind" "e2e-$kind-$rate-$round")"
            stop "$graph"
            local secs="$e2e_secs"
            [ "$rate" != "$e2e_low_rate" ] || secs=5
            local args=(--target "$base" --secret "$SECRET" --page "$PAGE" --graph-listen "127.0.0.1:$graph_port"
                --duration "$secs" --in-flight "$in_flight")
            [ "$rate" = max ] || args+=(--rate "$rate")
            profile_start "e2e-$kind-$rate-$round"
            line="$("$load" e2e "${args[@]}")"
            profile_stop
            record "$kind" "e2e_$rate" "$line"
            stop "$daemon"
        done
    done
}

memory() {
    echo "== memory (SQLite, $seed_chats chats) ==" >&2
    local url line
    url="$(store_url sqlite memory)"
    fresh_daemon memory "$url"
    stop "$daemon"
    line="$("$load" seed-chats --store "$url" --email "$EMAIL" --count "$seed_chats")"
    echo "  $line" >&2
    start_closerd "$work/memory" "$url" "$graph_port"
    local rss_idle
    rss_idle="$(awk '/VmRSS/ {print $2}' "/proc/$daemon/status")"
    # Traffic: the chat list, customers end to end, then a burst of webhooks.
    "$load" run --base "$base" --path "/api/v1/chats?limit=100" --token "$token" --seconds 3 >/dev/null
    stop "$graph"
    line="$("$load" e2e --target "$base" --secret "$SECRET" --page "$PAGE" --graph-listen "127.0.0.1:$graph_port" \
        --duration "$e2e_secs" --in-flight "$in_flight")"
    echo "  $line" >&2
    start_graph "$graph_port"
    line="$("$load" webhooks --target "$base" --secret "$SECRET" --page "$PAGE" --duration 3)"
    echo "  $line" >&2
    # Some of the backlog worked through.
    sleep 5
    local hwm
    hwm="$(awk '/VmHWM/ {print $2}' "/proc/$daemon/status")"
    record sqlite memory "rss_after_start_kb=$rss_idle vmhwm_kb=$hwm"
    stop "$daemon"
    stop "$graph"
}

if [ -z "${SKIP_SQLITE:-}" ]; then
    bench_store sqlite
    [ -n "${SKIP_MEMORY:-}" ] || memory
fi
if [ -z "${SKIP_MONGODB:-}" ]; then
    mongodb="${CLOSER_TEST_MONGODB_URI:-}"
    [ -n "$mongodb" ] || mongodb="$(bash scripts/mongodb-test-server.sh uri 2>/dev/null || true)"
    [ -n "$mongodb" ] || mongodb="$(bash scripts/mongodb-test-server.sh start)"
    bench_store mongodb
fi

# The summary: medians over the rounds.
median() { sort -n | awk '{v[NR]=$1} END {if (NR) print v[int((NR+1)/2)]; else print "-"}'; }
range() { sort -n | awk 'NR==1 {lo=$1} {hi=$1} END {if (NR) printf "%s–%s", lo, hi}'; }
stat() { # stat STORE TEST FIELD
    { grep "^$1 $2 " "$results" || true; } | while read -r line; do field "$3" "$line"; done
}
echo
echo "Pipeline benchmark, medians of $rounds rounds (range in brackets)"
for kind in sqlite mongodb; do
    grep -q "^$kind " "$results" || continue
    echo
    echo "$kind: webhook acknowledgements, $connections connections, ${ack_secs}s"
    printf '  %-22s %10s %9s %9s %9s %7s\n' test req/s p50_ms p99_ms max_ms non200
    for test in bare_max closerd_max closerd_1worker_max "bare_$ack_rate" "closerd_$ack_rate" \
        "closerd_1worker_$ack_rate"; do
        printf '  %-22s %10s %9s %9s %9s %7s   [%s]\n' "$test" "$(stat "$kind" "$test" rps | median)" \
            "$(stat "$kind" "$test" p50_ms | median)" "$(stat "$kind" "$test" p99_ms | median)" \
            "$(stat "$kind" "$test" max_ms | median)" "$(stat "$kind" "$test" non200 | median)" \
            "$(stat "$kind" "$test" rps | range)"
    done
    bare="$(stat "$kind" bare_max rps | median)" closer="$(stat "$kind" closerd_max rps | median)"
    intake="$(stat "$kind" closerd_1worker_max rps | median)"
    awk -v b="$bare" -v c="$closer" -v i="$intake" 'BEGIN {
        if (b > 0) printf "  closerd / bare: %.2f", c / b
        if (b > 0 && i + 0 > 0) printf " (with one worker: %.2f)", i / b
        if (b > 0) printf "\n"
    }'
    echo "$kind: customer messages end to end, ${e2e_secs}s (${e2e_low_rate}/s: 5s)"
    printf '  %-22s %10s %9s %9s %9s %8s %5s\n' test msgs/s p50_ms p99_ms max_ms no_reply dup
    for test in "e2e_$e2e_low_rate" "e2e_$e2e_rate" e2e_max; do
        printf '  %-22s %10s %9s %9s %9s %8s %5s   [%s]\n' "$test" "$(stat "$kind" "$test" rps | median)" \
            "$(stat "$kind" "$test" p50_ms | median)" "$(stat "$kind" "$test" p99_ms | median)" \
            "$(stat "$kind" "$test" max_ms | median)" "$(stat "$kind" "$test" no_reply | median)" \
            "$(stat "$kind" "$test" duplicates | median)" "$(stat "$kind" "$test" rps | range)"
    done
done
echo
{ grep '^sqlite memory' "$results" || true; } | cut -d' ' -f3- | sed 's/^/closerd memory with '"$seed_chats"' chats: /'
echo
echo "raw results:"
cat "$results"
