#!/usr/bin/env bash
# Redis's own test suite (tests/ of redis 7.0.15, Tcl) through Metacluster in front of three
# redis-server clusters, and the same units against one plain redis-server, for comparison.
#
#   scripts/redis-suite.sh [--no-build] [UNIT...]      e.g. scripts/redis-suite.sh unit/type/list
#
# Needs tclsh (apt-get install tcl), redis-server 7.0 and the redis 7.0.15 source tree:
# REDIS_SRC=/path/to/redis (a checkout at tag 7.0.15; default run/redis-suite/redis, cloned with
# git when missing). Not part of scripts/test.sh: it takes minutes.
#
# Each unit runs with --host/--port (Redis's "external server" mode: tests tagged external:skip
# are skipped by the suite itself), --ignore-encoding and --ignore-digest (DEBUG is not proxied),
# and --tags that leave out what a proxy cannot offer: replication, DEBUG, restarts, and the
# server-control tests (docs/redis-compatibility.md says why). Output: one line per unit with the
# [ok]/[err]/[exception] counts through the proxy and directly, and each run's log under
# run/redis-suite/.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib.sh
. "$ROOT/scripts/lib.sh"

RUN=$ROOT/run/redis-suite
REDIS_SRC=${REDIS_SRC:-$RUN/redis}
DEFAULT_UNITS=(unit/type/string unit/type/incr unit/type/list unit/type/list-2 unit/type/list-3 unit/type/set
  unit/type/zset unit/type/hash unit/type/stream unit/type/stream-cgroups unit/keyspace unit/scan unit/expire
  unit/sort unit/dump unit/multi unit/scripting unit/functions unit/pubsub unit/pubsubshard unit/bitops
  unit/bitfield unit/geo unit/hyperloglog unit/info-command unit/protocol unit/quit unit/acl)
TAGS="-needs:repl -needs:debug -needs:save -needs:reset -needs:config-maxmemory -needs:latency -needs:pfdebug -slow"
# Tests that use what docs/redis-compatibility.md says the proxy refuses or answers itself: without
# these skips, the refusal raises a Tcl exception that ends the whole unit. Skipped on both runs.
SKIPS=(
  "client unblock tests"                                      # CLIENT UNBLOCK: refused (shared connections)
  "/^Blocking XREADGROUP"                                     # XREADGROUP ... BLOCK: refused
  "WATCH is able to remember the DB a key belongs to"         # SELECT while WATCH is active: refused
  "/^Timedout (script|read-only|scripts)"                     # expect PING to get BUSY: the proxy answers PING
  "SHUTDOWN NOSAVE can kill a timedout script anyway"         # SHUTDOWN: refused
  "/^FUNCTION - test (function|script) kill"                  # expect PING to get BUSY
  "/^MULTI(-EXEC body)? and script timeout"                   # expect BUSY while queueing: the proxy queues MULTI itself
  "Blocking commands ignores the timeout"                     # XREADGROUP ... BLOCK: refused, inside MULTI too
  "Script ACL check"                                          # AUTH as a server ACL user: AUTH is the proxy's
  "/^Blocking XREAD: key (deleted|type changed)"             # a blocking command reaches the server once its own
                                                              #   connection is open: a write sent meanwhile goes first
  "PubSub messages with CLIENT REPLY OFF"                     # CLIENT REPLY: refused (shared connections)
  "/^Keyspace notifications: we (receive|can receive)"        # use CLIENT REPLY OFF
  "/unblock XREADGROUP"                                       # XREADGROUP ... BLOCK: refused
  "/^EXEC and script timeout"                                 # a busy script makes every node look hung: EXEC fails
)

build=1
units=()
for arg in "$@"; do
  case $arg in
    --no-build) build=0 ;;
    -h|--help) sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) units+=("$arg") ;;
  esac
done
[ "${#units[@]}" -gt 0 ] || units=("${DEFAULT_UNITS[@]}")

ensure_commands tclsh:tcl redis-server:redis-server redis-cli:redis-tools git:git
cd "$ROOT"
if [ "$build" -eq 1 ]; then
  mvn -B -q -Dstyle.color=never -DskipTests package -pl distribution -am
fi
DIST=$(find "$ROOT/distribution/target" -mindepth 1 -maxdepth 1 -type d -name 'metacluster-*' | sort | tail -n 1)
[ -x "$DIST/bin/metacluster" ] || { echo "error: no built distribution (run without --no-build)" >&2; exit 1; }
if [ ! -x "$REDIS_SRC/runtest" ]; then
  git clone -q --depth 1 --branch 7.0.15 https://github.com/redis/redis "$REDIS_SRC"
fi

mkdir -p "$RUN"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start_redis() { # PORT: a throwaway redis-server in the foreground of a background job
  redis-server --port "$1" --bind 127.0.0.1 --save '' --appendonly no --dir "$RUN" \
    --logfile "$RUN/redis-$1.log" --enable-debug-command local >/dev/null &
  PIDS+=($!)
}
wait_port() { local i; for i in $(seq 200); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }

ports=("$(free_port)" "$(free_port)" "$(free_port)")
DIRECT=$(free_port)
PROXY=$(free_port)
for p in "${ports[@]}" "$DIRECT"; do start_redis "$p"; done
for p in "${ports[@]}" "$DIRECT"; do wait_port "$p"; done
cat >"$RUN/metacluster.yaml" <<YAML
replay: { dir: "" }
# the suite runs slow commands on purpose, on a loaded machine: a node is not taken for hung after 1 s
backend: { request-timeout-ms: 30000, suspect-after-ms: 10000 }
listeners:
  - name: suite
    protocol: redis
    bind: 127.0.0.1:$PROXY
    clusters: [dc1, dc2, dc3]
    protocol-options: { server-commands: all-clusters }
clusters:
  - { name: dc1, local: true, nodes: [127.0.0.1:${ports[0]}] }
  - { name: dc2, nodes: [127.0.0.1:${ports[1]}] }
  - { name: dc3, nodes: [127.0.0.1:${ports[2]}] }
YAML
"$DIST/bin/metacluster" --config "$RUN/metacluster.yaml" >"$RUN/metacluster.log" 2>&1 &
PIDS+=($!)
wait_port "$PROXY" || { echo "error: the daemon did not start (see $RUN/metacluster.log)" >&2; exit 1; }

# What a fresh server per unit (Redis's own way) would give: no script left running (a unit that
# fails half-way can leave one looping), no data, no functions. Directly on every server.
reset_servers() {
  local p
  for p in "${ports[@]}" "$DIRECT"; do
    redis-cli -p "$p" script kill >/dev/null 2>&1 || true
    redis-cli -p "$p" function kill >/dev/null 2>&1 || true
    redis-cli -p "$p" function flush >/dev/null 2>&1 || true
    redis-cli -p "$p" flushall >/dev/null 2>&1 || true
  done
}

# run UNIT PORT LOG: the counts of one unit against one port
run() {
  local skip=() pattern
  for pattern in "${SKIPS[@]}"; do skip+=(--skiptest "$pattern"); done
  (cd "$REDIS_SRC" && timeout 900 ./runtest --host 127.0.0.1 --port "$2" --single "$1" --ignore-encoding \
    --ignore-digest --tags "$TAGS" --timeout 120 --clients 1 "${skip[@]}") >"$3" 2>&1 || true
  reset_servers
  local plain
  plain=$(sed 's/\x1b\[[0-9;]*m//g' "$3")
  printf '%s %s %s' "$(grep -c '^\[ok\]' <<<"$plain" || true)" "$(grep -c '^\[err\]' <<<"$plain" || true)" \
    "$(grep -c '^\[exception\]' <<<"$plain" || true)"
}

printf '%-28s %-24s %-24s\n' unit "proxy ok/err/exception" "direct ok/err/exception"
total_proxy=(0 0 0); total_direct=(0 0 0)
for unit in "${units[@]}"; do
  log=$RUN/$(echo "$unit" | tr '/' '_')
  read -r pok perr pexc <<<"$(run "$unit" "$PROXY" "$log.proxy.log")"
  read -r dok derr dexc <<<"$(run "$unit" "$DIRECT" "$log.direct.log")"
  printf '%-28s %-24s %-24s\n' "$unit" "$pok/$perr/$pexc" "$dok/$derr/$dexc"
  total_proxy=($((total_proxy[0] + pok)) $((total_proxy[1] + perr)) $((total_proxy[2] + pexc)))
  total_direct=($((total_direct[0] + dok)) $((total_direct[1] + derr)) $((total_direct[2] + dexc)))
done
printf '%-28s %-24s %-24s\n' total "${total_proxy[0]}/${total_proxy[1]}/${total_proxy[2]}" \
  "${total_direct[0]}/${total_direct[1]}/${total_direct[2]}"
