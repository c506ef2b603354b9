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
# shellcheck source=suite-lib.sh
. "$ROOT/scripts/suite-lib.sh"

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

ensure_commands tclsh:tcl git:git
if [ ! -x "$REDIS_SRC/runtest" ]; then
  git clone -q --depth 1 --branch 7.0.15 https://github.com/redis/redis "$REDIS_SRC"
fi
suite_start "$RUN" "$build"

# run UNIT PORT LOG: the counts of one unit against one port
run() {
  local skip=() pattern
  for pattern in "${SKIPS[@]}"; do skip+=(--skiptest "$pattern"); done
  (cd "$REDIS_SRC" && timeout 900 ./runtest --host 127.0.0.1 --port "$2" --single "$1" --ignore-encoding \
    --ignore-digest --tags "$TAGS" --timeout 120 --clients 1 "${skip[@]}") >"$3" 2>&1 || true
  suite_reset
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
