#!/usr/bin/env bash
# bench/scrub.sh: how long a scrub pass takes over many keys, what it finds, and what it costs
# the clients, on the real daemon (the ITs run with Netty's paranoid leak detection, which makes
# every buffer operation record a stack trace: no place to time a pass).
#
#   bench/scrub.sh                    1,000,000 keys, the scrub uncapped (keys-per-second 10,000,000)
#   KEYS=100000 bench/scrub.sh        fewer keys
#   RATE=default bench/scrub.sh       the scrub at its default cap (no keys-per-second given)
#   RATE=20000 PASSES=1 bench/scrub.sh
#   DIST=/path/to/metacluster-x.y.z bench/scrub.sh   another build of the daemon
#
# 1. starts 3 redis-server (dc1 local, dc2, dc3) on free 127.0.0.1 ports and writes KEYS keys
#    (key:%012d, 100-byte values) to each, straight to the servers;
# 2. injects divergence behind the proxy's back into the last 1% of the keys, which no client
#    reads: other values on dc2 or dc3, a key missing on dc3, a list instead of a string on dc3, a
#    key missing on both remotes, and keys that only dc2 holds (one of each kind per ten keys);
# 3. starts the daemon without the scrub and measures the clients' throughput through it
#    (redis-benchmark, 50 connections, GET and SET of 100 bytes, pipeline 1 and 16, on the keys
#    that hold no divergence), then stops it;
# 4. starts the daemon with verify: { strategy: sampled, rate: 0, repair: local-wins,
#    scrub: { keys-per-second: RATE } }, measures the same throughput while the first pass runs,
#    waits for that pass to end and, with PASSES=2 (the default; PASSES=1: not), for one more
#    pass, whose CPU seconds (daemon, three servers) are measured and which must find nothing
#    (else one more must); prints each pass's line, the verify metrics (admin /metrics) and
#    checks that the three servers end with the same data (DEBUG DIGEST);
# 5. writes the figures to run/bench-scrub/result.txt and prints them.
# Every process it started is stopped on exit, error or Ctrl-C. Nothing is installed or built:
# it needs redis-server, redis-cli, redis-benchmark, python3 and a built distribution
# (mvn -B -o -q package -pl distribution -am -DskipTests).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
KEYS=${KEYS:-1000000}
RATE=${RATE:-10000000}
PASSES=${PASSES:-2}
BENCH_N=${BENCH_N:-100000}
DIST=${DIST:-$ROOT/distribution/target/metacluster-0.1.0-SNAPSHOT}
WORK=${WORK:-$ROOT/run/bench-scrub}
HOST=127.0.0.1
DIVERGENT=$((KEYS / 100))
CLEAN=$((KEYS - DIVERGENT)) # keys 0..CLEAN-1 are the clients'; the rest hold the divergence

say() { printf '==> %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }
for tool in redis-server redis-cli redis-benchmark python3; do
  command -v $tool >/dev/null || die "$tool is not installed"
done
[ -x "$DIST/bin/metacluster" ] || die "no distribution at $DIST (build it: mvn -B -o -q package -pl distribution -am -DskipTests)"

PIDS=()
cleanup() {
  local rc=$? pid
  trap - EXIT INT TERM
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  exit $rc
}
trap cleanup EXIT
trap 'echo; say "interrupted"; exit 130' INT TERM

rm -rf "$WORK"; mkdir -p "$WORK"
RESULT=$WORK/result.txt
note() { printf '%s\n' "$*" | tee -a "$RESULT"; }
mapfile -t P < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(5)]
for s in socks: s.bind(("127.0.0.1", 0))
for s in socks: print(s.getsockname()[1])')
R=("${P[0]}" "${P[1]}" "${P[2]}"); PROXY=${P[3]}; ADMIN=${P[4]}

port_up() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }
wait_port() { # PORT WHAT LOG
  local i
  for i in $(seq 600); do port_up "$1" && return 0; sleep 0.1; done
  tail -n 20 "$3" >&2 || true; die "$2 did not start on $HOST:$1 (log: $3)"
}
cli() { redis-cli -h $HOST -p "$1" "${@:2}"; }
cpu_seconds() { # PID...: user + system CPU seconds of these processes
  local total=0 pid ticks
  for pid in "$@"; do
    ticks=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
    total=$((total + ticks))
  done
  python3 -c "print(round($total / $(getconf CLK_TCK), 1))"
}

note "scrub bench $(date -u +%Y-%m-%dT%H:%MZ): $KEYS keys x 3 clusters, $DIVERGENT divergent, rate $RATE, $(nproc) cores"
note "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

# --- 1. servers and data ----------------------------------------------------------------------
REDIS_PIDS=()
for i in 0 1 2; do
  redis-server --bind $HOST --port "${R[$i]}" --save '' --appendonly no --enable-debug-command yes \
    --logfile "$WORK/redis-$i.log" & PIDS+=($!); REDIS_PIDS+=($!)
done
for i in 0 1 2; do wait_port "${R[$i]}" redis-server "$WORK/redis-$i.log"; done

say "writing $KEYS keys of 100 bytes to each server"
python3 - "$KEYS" >"$WORK/fill.resp" <<'EOF'
import sys
out = sys.stdout.buffer
for i in range(int(sys.argv[1])):
    key = b"key:%012d" % i
    value = (b"%012d" % i) + b"v" * 88
    out.write(b"*3\r\n$3\r\nSET\r\n$16\r\n" + key + b"\r\n$100\r\n" + value + b"\r\n")
EOF
for i in 0 1 2; do cli "${R[$i]}" --pipe <"$WORK/fill.resp" >/dev/null; done
rm -f "$WORK/fill.resp"

say "injecting $DIVERGENT divergent keys behind the proxy's back"
python3 - "$CLEAN" "$KEYS" "$WORK" <<'EOF'
import sys
clean, keys, work = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
def cmd(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out
dc2, dc3 = [], []
for i in range(clean, keys):
    key = b"key:%012d" % i
    kind = i % 10
    if kind < 4:
        dc2.append(cmd(b"SET", key, b"other value on dc2"))
    elif kind < 6:
        dc3.append(cmd(b"SET", key, b"other value on dc3"))
    elif kind == 6:
        dc3.append(cmd(b"DEL", key))
    elif kind == 7:
        dc3.append(cmd(b"DEL", key)); dc3.append(cmd(b"RPUSH", key, b"a", b"list"))
    elif kind == 8:
        dc2.append(cmd(b"DEL", key)); dc3.append(cmd(b"DEL", key))
    else:
        dc2.append(cmd(b"SET", b"only:%012d" % i, b"only on dc2"))
open(work + "/dc2.resp", "wb").write(b"".join(dc2))
open(work + "/dc3.resp", "wb").write(b"".join(dc3))
EOF
cli "${R[1]}" --pipe <"$WORK/dc2.resp" >/dev/null
cli "${R[2]}" --pipe <"$WORK/dc3.resp" >/dev/null
note "keys per server: dc1 $(cli "${R[0]}" DBSIZE), dc2 $(cli "${R[1]}" DBSIZE), dc3 $(cli "${R[2]}" DBSIZE)"

# --- 2. the daemon ----------------------------------------------------------------------------
DAEMON=""
start_daemon() { # NAME VERIFY-LINE
  cat >"$WORK/$1.yaml" <<EOF
admin: { bind: $HOST:$ADMIN }
listeners:
  - name: main
    protocol: redis
    bind: $HOST:$PROXY
    clusters: [dc1, dc2, dc3]
$2
clusters:
  - { name: dc1, local: true, nodes: [$HOST:${R[0]}] }
  - { name: dc2, nodes: [$HOST:${R[1]}] }
  - { name: dc3, nodes: [$HOST:${R[2]}] }
EOF
  "$DIST/bin/metacluster" --config "$WORK/$1.yaml" >"$WORK/$1.log" 2>&1 & DAEMON=$!; PIDS+=($DAEMON)
  wait_port "$PROXY" metacluster "$WORK/$1.log"
}
stop_daemon() {
  kill "$DAEMON"; wait "$DAEMON" 2>/dev/null || true
  for _ in $(seq 100); do port_up "$PROXY" || return 0; sleep 0.1; done
}
throughput() { # LABEL: GET and SET, pipeline 1 and 16, keys without divergence
  local pipe op line
  redis-benchmark -h $HOST -p "$PROXY" -c 50 -n 50000 -d 100 -r "$CLEAN" -t get,set -q >/dev/null 2>&1 # JIT warm-up
  for pipe in 1 16; do
    for op in get set; do
      line=$(redis-benchmark -h $HOST -p "$PROXY" -c 50 -n $((BENCH_N * pipe / 4 > BENCH_N ? BENCH_N * pipe / 4 : BENCH_N)) \
        -P $pipe -d 100 -r "$CLEAN" -t $op --csv 2>/dev/null | grep -v '^"test"' | tail -n 1) || line="failed,failed,,,failed,,failed"
      note "  $1: $op pipeline $pipe: $(echo "$line" | cut -d, -f2 | tr -d '"') requests/s, p50 $(echo "$line" | cut -d, -f5 | tr -d '"') ms, p99 $(echo "$line" | cut -d, -f7 | tr -d '"') ms"
    done
  done
}

say "clients' throughput through the daemon without the scrub"
start_daemon plain ""
note "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
throughput "no scrub"
stop_daemon

SCRUB="scrub: { keys-per-second: $RATE }"
[ "$RATE" = default ] && SCRUB="scrub: {}"
say "the daemon with $SCRUB"
start_daemon scrub "    verify: { strategy: sampled, rate: 0, repair: local-wins, $SCRUB }"
LOG=$WORK/scrub.log
# the first pass may walk nothing while the connections come up: count whole passes only
whole() { grep 'scrub of listener main: pass .* done' "$LOG" | grep -v 'not walked' || true; }
sleep 3
note "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
throughput "during the scrub"
wait_whole() { # N: until the log shows N whole passes
  while [ "$(whole | wc -l)" -lt "$1" ]; do
    kill -0 "$DAEMON" 2>/dev/null || die "the daemon stopped (log: $LOG)"
    sleep 0.2
  done
}
say "waiting for the first whole pass (log: $LOG)"
wait_whole 1
if [ "$PASSES" -gt 1 ]; then
  # one more pass, without divergence and without the load tool: its CPU is the scrub's own
  n=$(whole | wc -l)
  before="$(cpu_seconds "$DAEMON") $(cpu_seconds "${REDIS_PIDS[@]}")"
  wait_whole $((n + 1))
  after="$(cpu_seconds "$DAEMON") $(cpu_seconds "${REDIS_PIDS[@]}")"
  # what the first pass could not settle (a repair timed out on a loaded machine) it finds again
  if ! whole | tail -n 1 | grep -q ' 0 divergent'; then wait_whole $((n + 2)); fi
fi
note "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$ADMIN" <<'EOF' | tee -a "$RESULT"
import sys, urllib.request
text = urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=10).read().decode()
shown = [l for l in text.splitlines() if not l.startswith("#") and "_verify_" in l and "scrub_pass_duration" not in l
         and not l.rstrip().endswith(" 0") and not l.rstrip().endswith(" 0.0")]
shown += [l for l in text.splitlines() if l.startswith("metacluster_cluster_") and "_timeouts" in l and "_node_" not in l]
print("  metrics: " + "; ".join(l.replace("metacluster_listener_main_", "") for l in shown))
EOF
grep 'scrub of listener main: pass .* done' "$LOG" | sed 's/^.* - /  /' | tee -a "$RESULT"
if [ "$PASSES" -gt 1 ]; then
  read -r d0 r0 <<<"$before"; read -r d1 r1 <<<"$after"
  note "  CPU during the second whole pass: daemon $(python3 -c "print(round($d1 - $d0, 1))") s, the three redis-servers $(python3 -c "print(round($r1 - $r0, 1))") s"
fi

# --- 3. what was found ------------------------------------------------------------------------
# repairs summed over every pass (a pass begun while a cluster was still connecting counts too);
# the last whole pass must find nothing left
read -r repaired last <<<"$(grep 'scrub of listener main: pass .* done' "$LOG" | python3 -c '
import re, sys
lines = sys.stdin.read().splitlines()
found = [re.search(r"(\d+) divergent, (\d+) repaired", l) for l in lines]
whole = [m for l, m in zip(lines, found) if "not walked" not in l]
print(sum(int(m.group(2)) for m in found), whole[-1].group(1))')"
read -r g1 g2 g3 <<<"$(cli "${R[0]}" DEBUG DIGEST) $(cli "${R[1]}" DEBUG DIGEST) $(cli "${R[2]}" DEBUG DIGEST)"
note "keys repaired by the scrub: $repaired of $DIVERGENT injected (a key whose repair failed once, e.g. a node that looked hung, and was repaired by a later round counts as divergent, not repaired); the last pass found $last divergent"
note "DEBUG DIGEST: dc1 $g1, dc2 $g2, dc3 $g3"
ok=1
[ "$PASSES" -lt 2 ] || [ "$last" = 0 ] || ok=0
{ [ "$g1" = "$g2" ] && [ "$g2" = "$g3" ]; } || ok=0
if [ $ok = 1 ]; then note "RESULT: every injected divergence repaired, the three servers equal"
else note "RESULT: FAILED"; exit 1; fi
