#!/usr/bin/env bash
# bench/run.sh: Metacluster against a direct connection and against twemproxy, side by side.
#
#   bench/run.sh              full run (a few minutes on 2 cores)
#   QUICK=1 bench/run.sh      smoke run (under a minute; figures are noisy)
#   REPEAT=3 bench/run.sh     each case 3 times, interleaved; the report shows the median run
#   IO_THREADS=2 bench/run.sh the daemon's io-threads (default 1: the same resources as
#                             twemproxy, which is single-threaded; 0 = one per core)
#
# 1. installs what is missing with apt-get (redis-server, redis-tools, memcached, nutcracker,
#    libmemcached-tools, a C compiler, a JDK and Maven),
# 2. builds the distribution if it is not built (mvn -B -q install -DskipTests; BUILD=1 forces),
# 3. starts, on free 127.0.0.1 ports only: 3 redis-server, 3 memcached, twemproxy (nutcracker)
#    in front of the first of each, and one Metacluster daemon with four listeners:
#    redis and memcached x (one cluster = that first backend | three clusters, the first local),
# 4. for each protocol, op (SET, GET), value size (32 B, 1 KiB) and pipeline depth (1, 16),
#    runs the load tool with 50 connections against the four targets one after the other:
#      direct | twemproxy | metacluster-1 (one cluster) | metacluster-3 (three clusters)
#    Redis: redis-benchmark. memcached: bench/mcload.c (compiled here; the same method as
#    redis-benchmark, since Debian's memcaslap cannot pipeline nor give percentiles), plus a
#    memcaslap cross-check at pipeline 1 (full run only).
# 5. writes bench/results/{results.md,results.svg,raw.csv} (BENCH_OUT=DIR to write elsewhere)
#    and prints the table.
# Every process it started is stopped on exit, error or Ctrl-C. Work files: run/bench/.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=$ROOT/bench
# shellcheck source=../scripts/lib.sh
. "$ROOT/scripts/lib.sh"

QUICK=${QUICK:-0}
OUT=${BENCH_OUT:-$BENCH/results}
WORK=$ROOT/run/bench
HOST=127.0.0.1            # every server binds here and every client connects here; never changed
CONNS=50
if [ "$QUICK" = 1 ]; then N1=10000; N16=60000; WARM=30000; MODE=quick
else                      N1=100000; N16=600000; WARM=300000; MODE=full; fi
STEP_TIMEOUT=90           # seconds: one load-tool run
REPEAT=${REPEAT:-1}       # runs of each case (interleaved over the targets); the report takes the median
IO_THREADS=${IO_THREADS:-1}
START=$(date +%s)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

say() { printf '==> %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# --- processes we start, stopped on any exit --------------------------------------------------
PIDS=()
cleanup() {
  local rc=$? pid i
  trap - EXIT INT TERM
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for i in $(seq 50); do
    local alive=0
    for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break; sleep 0.1
  done
  for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  [ ${#PIDS[@]} -gt 0 ] && say "stopped ${#PIDS[@]} processes"
  exit $rc
}
trap cleanup EXIT
trap 'echo; say "interrupted"; exit 130' INT TERM

# --- 1. tools ---------------------------------------------------------------------------------
ensure_commands "${BUILD_TOOLS[@]}" redis-server:redis-server redis-benchmark:redis-tools \
  redis-cli:redis-tools memcached:memcached nutcracker:nutcracker memcaslap:libmemcached-tools \
  cc:gcc python3:python3
require_java17

# --- 2. build ---------------------------------------------------------------------------------
DIST=$ROOT/distribution/target/metacluster-0.1.0-SNAPSHOT
if [ "${BUILD:-0}" = 1 ] || [ ! -x "$DIST/bin/metacluster" ]; then
  say "building the distribution (mvn -B -q install -DskipTests)"
  (cd "$ROOT" && mvn -B -q -Dstyle.color=never install -DskipTests)
fi
[ -x "$DIST/bin/metacluster" ] || die "no distribution at $DIST"
HAVE_MC_PLUGIN=0; [ -f "$DIST/plugins/memcached.jar" ] && HAVE_MC_PLUGIN=1

rm -rf "$WORK"; mkdir -p "$WORK" "$OUT"
cc -O2 -o "$WORK/mcload" "$BENCH/mcload.c"

# --- 3. servers -------------------------------------------------------------------------------
# 14 free ports: 3 redis, 3 memcached, twemproxy redis + memcached + stats, 4 listeners, spare
mapfile -t P < <(python3 - <<'EOF'
import socket
socks = []
for _ in range(14):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
for s in socks: print(s.getsockname()[1])
EOF
)
R=("${P[0]}" "${P[1]}" "${P[2]}"); M=("${P[3]}" "${P[4]}" "${P[5]}")
TW_R=${P[6]}; TW_M=${P[7]}; TW_STATS=${P[8]}
MC_R1=${P[9]}; MC_R3=${P[10]}; MC_M1=${P[11]}; MC_M3=${P[12]}

port_up() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }
wait_port() { # PORT WHAT LOG
  local i
  for i in $(seq 300); do port_up "$1" && return 0; sleep 0.1; done
  tail -n 20 "$3" >&2 || true; die "$2 did not start on $HOST:$1 (log: $3)"
}

MC_USER=(); [ "$(id -u)" = 0 ] && MC_USER=(-u nobody)   # memcached refuses to run as root
for i in 0 1 2; do
  redis-server --bind $HOST --port "${R[$i]}" --save '' --appendonly no --protected-mode yes \
    --logfile "$WORK/redis-$i.log" & PIDS+=($!)
  memcached "${MC_USER[@]}" -l $HOST -p "${M[$i]}" -U 0 -m 256 -c 4096 >"$WORK/memcached-$i.log" 2>&1 & PIDS+=($!)
done

cat >"$WORK/nutcracker.yml" <<EOF
redis:
  listen: $HOST:$TW_R
  redis: true
  hash: fnv1a_64
  distribution: ketama
  auto_eject_hosts: false
  preconnect: true
  servers:
   - $HOST:${R[0]}:1
memcached:
  listen: $HOST:$TW_M
  hash: fnv1a_64
  distribution: ketama
  auto_eject_hosts: false
  preconnect: true
  servers:
   - $HOST:${M[0]}:1
EOF
nutcracker -c "$WORK/nutcracker.yml" -a $HOST -s "$TW_STATS" -o "$WORK/nutcracker.log" & PIDS+=($!)

MC_LISTENERS=""
if [ $HAVE_MC_PLUGIN = 1 ]; then
  MC_LISTENERS="  - { name: mc-1, protocol: memcached, bind: $HOST:$MC_M1, clusters: [m1] }
  - { name: mc-3, protocol: memcached, bind: $HOST:$MC_M3, clusters: [m1, m2, m3] }"
fi
cat >"$WORK/metacluster.yaml" <<EOF
# written by bench/run.sh
io-threads: $IO_THREADS
listeners:
  - { name: redis-1, protocol: redis, bind: $HOST:$MC_R1, clusters: [r1] }
  - { name: redis-3, protocol: redis, bind: $HOST:$MC_R3, clusters: [r1, r2, r3] }
$MC_LISTENERS
clusters:
  - { name: r1, local: true, nodes: [$HOST:${R[0]}] }
  - { name: r2, nodes: [$HOST:${R[1]}] }
  - { name: r3, nodes: [$HOST:${R[2]}] }
  - { name: m1, local: true, nodes: [$HOST:${M[0]}] }
  - { name: m2, nodes: [$HOST:${M[1]}] }
  - { name: m3, nodes: [$HOST:${M[2]}] }
EOF

for i in 0 1 2; do
  wait_port "${R[$i]}" redis-server "$WORK/redis-$i.log"
  wait_port "${M[$i]}" memcached "$WORK/memcached-$i.log"
done
"$DIST/bin/metacluster" --config "$WORK/metacluster.yaml" >"$WORK/metacluster.log" 2>&1 & PIDS+=($!)
wait_port "$TW_R" twemproxy "$WORK/nutcracker.log"
wait_port "$MC_R1" metacluster "$WORK/metacluster.log"
wait_port "$MC_R3" metacluster "$WORK/metacluster.log"

# memcached through the daemon: does the listener answer a set/get?
MC_OK=0
if [ $HAVE_MC_PLUGIN = 1 ]; then
  wait_port "$MC_M1" metacluster "$WORK/metacluster.log"
  if "$WORK/mcload" -h $HOST -p "$MC_M1" -t get -c 1 -n 10 -P 1 -d 8 -T 5 >/dev/null 2>"$WORK/mc-probe.err"; then
    MC_OK=1
  fi
fi
MC_SKIP=""
if [ $HAVE_MC_PLUGIN = 0 ]; then MC_SKIP="the distribution has no memcached plugin"
elif [ $MC_OK = 0 ]; then MC_SKIP="the daemon's memcached listener did not answer get/set ($(head -c 200 "$WORK/mc-probe.err"))"; fi
[ -n "$MC_SKIP" ] && say "memcached through Metacluster: SKIPPED: $MC_SKIP"
grep -m1 'metacluster started' "$WORK/metacluster.log" | sed 's/^.* - /==> /' || true

# --- 4. load ----------------------------------------------------------------------------------
RAW=$WORK/raw.csv
echo "proto,op,size,pipeline,target,rps,avg_ms,p50_ms,p95_ms,p99_ms,max_ms" >"$RAW"

# one CSV line of redis-benchmark/mcload --csv output -> our columns
record() { # PROTO OP SIZE PIPE TARGET CSVLINE
  python3 - "$@" >>"$RAW" <<'EOF'
import sys, csv
proto, op, size, pipe, target, line = sys.argv[1:7]
f = next(csv.reader([line]))
# test, rps, avg, min, p50, p95, p99, max
print(",".join([proto, op, size, pipe, target, f[1], f[2], f[4], f[5], f[6], f[7]]))
EOF
}

redis_run() { # PORT OP SIZE PIPE N
  timeout $STEP_TIMEOUT redis-benchmark -h $HOST -p "$1" -c $CONNS -n "$5" -P "$4" -d "$3" \
    -t "$2" --csv 2>>"$WORK/load.err" | grep -v '^"test"' | tail -n 1
}
mc_run() { # PORT OP SIZE PIPE N
  timeout $STEP_TIMEOUT "$WORK/mcload" -h $HOST -p "$1" -c $CONNS -n "$5" -P "$4" -d "$3" -t "$2" \
    -T $STEP_TIMEOUT 2>>"$WORK/load.err" | grep -v '^"test"' | tail -n 1
}

say "warming up the daemon's JIT ($WARM requests per listener, not recorded)"
redis_run "$MC_R1" set 32 16 "$WARM" >/dev/null; redis_run "$MC_R1" get 32 16 "$WARM" >/dev/null
redis_run "$MC_R3" set 32 16 "$WARM" >/dev/null; redis_run "$MC_R3" get 32 1 "$((WARM / 10))" >/dev/null
if [ -z "$MC_SKIP" ]; then
  mc_run "$MC_M1" set 32 16 "$WARM" >/dev/null; mc_run "$MC_M1" get 32 16 "$WARM" >/dev/null
  mc_run "$MC_M3" set 32 16 "$WARM" >/dev/null; mc_run "$MC_M3" get 32 1 "$((WARM / 10))" >/dev/null
fi

say "running ($MODE: pipeline 1 x $N1, pipeline 16 x $N16 requests, $CONNS connections)"
for proto in redis memcached; do
  if [ $proto = redis ]; then targets=("direct:${R[0]}" "twemproxy:$TW_R" "metacluster-1:$MC_R1" "metacluster-3:$MC_R3")
  else targets=("direct:${M[0]}" "twemproxy:$TW_M"); [ -z "$MC_SKIP" ] && targets+=("metacluster-1:$MC_M1" "metacluster-3:$MC_M3"); fi
  for size in 32 1024; do
    for pipe in 1 16; do
      n=$N1; [ $pipe = 16 ] && n=$N16
      for op in set get; do   # set first: get then reads the value of this size
        for rep in $(seq "$REPEAT"); do for t in "${targets[@]}"; do
          name=${t%%:*}; port=${t#*:}
          line=$(${proto/memcached/mc}_run "$port" $op $size $pipe $n) ||
            die "$proto $op -d $size -P $pipe against $name failed (see $WORK/load.err)"
          [ -n "$line" ] || die "$proto $op against $name printed nothing (see $WORK/load.err)"
          record $proto ${op^^} $size $pipe "$name" "$line"
          printf '    %-9s %-3s %4s B  P%-2s  %-13s %s\n' $proto ${op^^} $size $pipe "$name" \
            "$(tail -n 1 "$RAW" | cut -d, -f6,8,10 | awk -F, '{printf "%10.0f ops/s  p50 %s ms  p99 %s ms", $1, $2, $3}')"
        done; done
      done
    done
  done
done

# memcaslap cross-check (full run): pipeline 1 only, 32-byte values; ops/s of its own counter
CROSS=$WORK/memcaslap.csv
echo "op,target,rps" >"$CROSS"
if [ "$QUICK" != 1 ]; then
  say "memcaslap cross-check (pipeline 1, 32 B, 3 s each)"
  printf 'key\n16 16 1\nvalue\n32 32 1\ncmd\n0 1.0\n1 0.0\n' >"$WORK/ms-set.cfg"
  printf 'key\n16 16 1\nvalue\n32 32 1\ncmd\n0 0.0\n1 1.0\n' >"$WORK/ms-get.cfg"
  targets=("direct:${M[0]}" "twemproxy:$TW_M")
  # memcaslap's keys contain control bytes (0x10-0x1f), which memcached itself accepts but the
  # text protocol's spec forbids; a proxy that enforces the spec answers CLIENT_ERROR, which
  # memcaslap would count as done: probe first, and leave the proxy out if it refuses them.
  if [ -z "$MC_SKIP" ]; then
    if python3 - "$MC_M1" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(b"set \x10\x11key 0 0 1\r\nx\r\n")
sys.exit(0 if s.recv(100).startswith(b"STORED") else 1)
PY
    then targets+=("metacluster-1:$MC_M1" "metacluster-3:$MC_M3")
    else echo "Metacluster answers CLIENT_ERROR to keys with control bytes, which memcaslap's keys contain (memcached and twemproxy accept them)" >"$WORK/memcaslap.note"
         say "memcaslap: $(cat "$WORK/memcaslap.note")"; fi
  fi
  for op in set get; do
    for t in "${targets[@]}"; do
      name=${t%%:*}; port=${t#*:}
      # -T 1: one thread, like the other tools; -w 1k: 50k keys (the get run first sets them)
      timeout 30 memcaslap -s "$HOST:$port" -T 1 -c $CONNS -w 1k -t 3s -S 3s -F "$WORK/ms-$op.cfg" \
        >"$WORK/memcaslap-$op-$name.out" 2>&1 || true
      rps=$(awk -v want="$([ $op = get ] && echo Get || echo Set) Statistics" '
              index($0, want) == 1 { sec = 1 } sec && $1 == "Global" { print $4; exit }' \
              "$WORK/memcaslap-$op-$name.out")
      echo "${op^^},$name,${rps:-}" >>"$CROSS"
      printf '    memcaslap %-3s %-13s %s ops/s\n' ${op^^} "$name" "${rps:-?}"
    done
  done
fi

# --- 5. report --------------------------------------------------------------------------------
cp "$RAW" "$OUT/raw.csv"
python3 "$BENCH/report.py" --raw "$RAW" --memcaslap "$CROSS" --out "$OUT" --mode "$MODE" --repeat "$REPEAT" --io-threads "$IO_THREADS" \
  --load "load average (1/5/15 min) at start $LOAD_START, at end $(cut -d' ' -f1-3 /proc/loadavg)" \
  --skip-memcached "$MC_SKIP" --memcaslap-note "$(cat "$WORK/memcaslap.note" 2>/dev/null || true)" --daemon-line "$(grep -m1 'metacluster started' "$WORK/metacluster.log" | sed 's/^.* - //')"
say "done in $(( $(date +%s) - START )) s: $OUT/results.md, $OUT/results.svg"
