#!/usr/bin/env bash
# THE run command: Metacluster in front of three local Redis "clusters".
#
#   scripts/demo.sh [--no-build]
#
# 1. installs what is missing (redis-server, a JDK, Maven; memcached when the memcached plugin
#    is built) with apt-get,
# 2. builds the project (mvn -B -q -DskipTests package), unless --no-build,
# 3. starts three redis-server processes on 127.0.0.1:7001-7003: dc1 (local: true), dc2, dc3
#    (and, when the memcached plugin exists, three memcached on 11211-11213),
# 4. writes run/demo/metacluster.yaml and runs the daemon from the built distribution in the
#    foreground, listening on 127.0.0.1:6380 (memcached: 11311).
# Ctrl-C stops the daemon and the demo backends. State, logs and pidfiles: run/demo/.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib.sh
. "$ROOT/scripts/lib.sh"

RUN=$ROOT/run/demo
REDIS_PORTS=(7001 7002 7003)
MEMCACHED_PORTS=(11211 11212 11213)
PROXY_PORT=6380
MEMCACHED_PROXY_PORT=11311

build=1
for arg in "$@"; do
  case $arg in
    --no-build) build=0 ;;
    -h|--help) sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "error: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

say() { printf '==> %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# true when something accepts connections on 127.0.0.1:$1
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# stop_pidfile FILE NAME: stop the process FILE names, if it is still a NAME process
stop_pidfile() {
  local file=$1 name=$2 pid i
  [ -f "$file" ] || return 0
  pid=$(cat "$file" 2>/dev/null || true)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null &&
     tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "$name"; then
    kill "$pid" 2>/dev/null || true
    for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$file"
}

stop_backends() {
  local p
  for p in "${REDIS_PORTS[@]}"; do stop_pidfile "$RUN/redis-$p.pid" redis-server; done
  for p in "${MEMCACHED_PORTS[@]}"; do stop_pidfile "$RUN/memcached-$p.pid" memcached; done
}

# wait_port PORT WHAT: wait up to 10 s for PORT to accept connections
wait_port() {
  local i
  for i in $(seq 100); do port_busy "$1" && return 0; sleep 0.1; done
  die "$2 did not start on port $1 (see $RUN/)"
}

# --- 1. tools --------------------------------------------------------------------------------
ensure_commands "${BUILD_TOOLS[@]}" redis-server:redis-server redis-cli:redis-tools
require_java17

# --- 2. build ---------------------------------------------------------------------------------
cd "$ROOT"
if [ "$build" -eq 1 ]; then
  say "building (mvn -B -q -DskipTests package)"
  mvn -B -q -Dstyle.color=never -DskipTests package
fi
DIST=$(find "$ROOT/distribution/target" -mindepth 1 -maxdepth 1 -type d -name 'metacluster-*' 2>/dev/null | sort | tail -n 1)
[ -n "$DIST" ] && [ -x "$DIST/bin/metacluster" ] ||
  die "no built distribution under distribution/target/ (run without --no-build)"
[ -f "$DIST/plugins/redis.jar" ] || die "the distribution has no redis plugin ($DIST/plugins/redis.jar)"

with_memcached=0
if [ -f "$DIST/plugins/memcached.jar" ]; then
  with_memcached=1
  ensure_commands memcached:memcached
fi

# --- 3. backends --------------------------------------------------------------------------------
mkdir -p "$RUN"
stop_backends   # leftovers of an earlier demo that was killed hard
ports=("${REDIS_PORTS[@]}" "$PROXY_PORT")
[ "$with_memcached" -eq 1 ] && ports+=("${MEMCACHED_PORTS[@]}" "$MEMCACHED_PROXY_PORT")
for p in "${ports[@]}"; do
  port_busy "$p" && die "port $p on 127.0.0.1 is already in use (by another process: see 'ss -ltnp | grep :$p'); stop it and run again"
done

DAEMON=
cleanup() {
  trap - EXIT INT TERM
  if [ -n "$DAEMON" ] && kill -0 "$DAEMON" 2>/dev/null; then kill "$DAEMON" 2>/dev/null || true; wait "$DAEMON" 2>/dev/null || true; fi
  say "stopping the demo backends"
  stop_backends
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for p in "${REDIS_PORTS[@]}"; do
  redis-server --port "$p" --bind 127.0.0.1 --save '' --appendonly no \
    --daemonize yes --pidfile "$RUN/redis-$p.pid" --logfile "$RUN/redis-$p.log" --dir "$RUN" >/dev/null
done
for p in "${REDIS_PORTS[@]}"; do wait_port "$p" "redis-server"; done
say "redis-server on 127.0.0.1:${REDIS_PORTS[0]} (dc1, local), :${REDIS_PORTS[1]} (dc2), :${REDIS_PORTS[2]} (dc3)"

if [ "$with_memcached" -eq 1 ]; then
  for p in "${MEMCACHED_PORTS[@]}"; do
    memcached -d -l 127.0.0.1 -p "$p" -U 0 -m 64 -u "$(id -un)" -P "$RUN/memcached-$p.pid" \
      >>"$RUN/memcached-$p.log" 2>&1
  done
  for p in "${MEMCACHED_PORTS[@]}"; do wait_port "$p" "memcached"; done
  say "memcached on 127.0.0.1:${MEMCACHED_PORTS[0]} (mc1, local), :${MEMCACHED_PORTS[1]} (mc2), :${MEMCACHED_PORTS[2]} (mc3)"
fi

# --- 4. config and daemon -----------------------------------------------------------------------
CONFIG=$RUN/metacluster.yaml
{
  cat <<YAML
# Written by scripts/demo.sh. Every key, with its default: $DIST/conf/metacluster.yaml
listeners:
  - name: demo
    protocol: redis
    bind: 127.0.0.1:$PROXY_PORT
    clusters: [dc1, dc2, dc3]
    read:  { strategy: locality }
    write: { policy: first }
YAML
  if [ "$with_memcached" -eq 1 ]; then
    cat <<YAML
  - name: demo-memcached
    protocol: memcached
    bind: 127.0.0.1:$MEMCACHED_PROXY_PORT
    clusters: [mc1, mc2, mc3]
    read:  { strategy: locality }
    write: { policy: first }
    limits: { max-frame-bytes: 1048576 }   # memcached's item size (-I 1m)
YAML
  fi
  cat <<YAML
clusters:
  - { name: dc1, local: true, nodes: [127.0.0.1:${REDIS_PORTS[0]}] }
  - { name: dc2, nodes: [127.0.0.1:${REDIS_PORTS[1]}] }
  - { name: dc3, nodes: [127.0.0.1:${REDIS_PORTS[2]}] }
YAML
  if [ "$with_memcached" -eq 1 ]; then
    cat <<YAML
  - { name: mc1, local: true, nodes: [127.0.0.1:${MEMCACHED_PORTS[0]}] }
  - { name: mc2, nodes: [127.0.0.1:${MEMCACHED_PORTS[1]}] }
  - { name: mc3, nodes: [127.0.0.1:${MEMCACHED_PORTS[2]}] }
YAML
  fi
} >"$CONFIG"

cat <<EOT

  Metacluster is starting on 127.0.0.1:$PROXY_PORT (config: ${CONFIG#"$ROOT"/}). In another terminal:

    redis-cli -p $PROXY_PORT set greeting hello      # the write goes to dc1, dc2 and dc3
    redis-cli -p $PROXY_PORT get greeting            # the read is served by dc1 (local)
    for p in ${REDIS_PORTS[*]}; do redis-cli -p \$p get greeting; done   # every cluster has it
EOT
if [ "$with_memcached" -eq 1 ]; then
  cat <<EOT
    printf 'set k 0 0 1\r\nv\r\nget k\r\nquit\r\n' | nc 127.0.0.1 $MEMCACHED_PROXY_PORT   # memcached (nc: apt-get install netcat-openbsd)
EOT
fi
printf '\n  Ctrl-C stops the daemon and the demo backends.\n\n'

# In the background so that a signal to this script reaches the daemon too (an asynchronous
# child of a script ignores SIGINT); the daemon stops cleanly on TERM.
"$DIST/bin/metacluster" --config "$CONFIG" &
DAEMON=$!
trap 'kill -TERM "$DAEMON" 2>/dev/null || true' INT TERM
rc=0
while :; do
  wait "$DAEMON" && rc=0 || rc=$?
  kill -0 "$DAEMON" 2>/dev/null || break
done
DAEMON=
exit "$rc"
