#!/usr/bin/env bash
# Heap cost of idle client connections: starts one redis-server and the daemon (built
# distribution) on free loopback ports, measures the live heap after a full GC, opens N
# connections (each sends one PING), measures again, and prints the cost per connection.
# Usage: bench/idle-memory.sh [N=1000]
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
N=${1:-1000}
DIST=$(ls -d "$ROOT"/distribution/target/metacluster-*/ 2>/dev/null | head -1)
[ -n "$DIST" ] || { echo "build first: mvn -B -q install -DskipTests" >&2; exit 1; }
WORK=$(mktemp -d)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
RPORT=$(free_port); MPORT=$(free_port)
cleanup() { kill "$DPID" 2>/dev/null || true; redis-cli -p "$RPORT" shutdown nosave >/dev/null 2>&1 || true; rm -rf "$WORK"; }
trap cleanup EXIT
redis-server --port "$RPORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes --dir "$WORK" --logfile "$WORK/redis.log"
cat > "$WORK/mc.yaml" <<YAML
replay: { dir: "" }
listeners:
  - { name: main, protocol: redis, bind: "127.0.0.1:$MPORT", clusters: [dc1] }
clusters:
  - { name: dc1, local: true, nodes: ["127.0.0.1:$RPORT"] }
YAML
"$DIST/bin/metacluster" --config "$WORK/mc.yaml" > "$WORK/daemon.log" 2>&1 &
DPID=$!
for _ in $(seq 100); do redis-cli -p "$MPORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
used() { jcmd "$DPID" GC.run >/dev/null; sleep 0.5; jcmd "$DPID" GC.heap_info | awk '/used/ { for (i = 1; i <= NF; i++) if ($i == "used") { v = $(i+1); sub("K,?", "", v); print v; exit } }'; }
before=$(used)
python3 - "$MPORT" "$N" "$DPID" <<'PY' &
import socket, sys, time, os
port, n = int(sys.argv[1]), int(sys.argv[2])
conns = []
for _ in range(n):
    s = socket.create_connection(("127.0.0.1", port)); s.sendall(b"PING\r\n"); s.recv(16); conns.append(s)
open("/tmp/idle-memory.ready", "w").close()
time.sleep(30)
PY
HOLDER=$!
for _ in $(seq 300); do [ -f /tmp/idle-memory.ready ] && break; sleep 0.1; done
after=$(used)
rm -f /tmp/idle-memory.ready
kill "$HOLDER" 2>/dev/null || true
echo "live heap: ${before} KB idle, ${after} KB with $N connections: $(( (after - before) / N )) KB per connection, $(( (after - before) / 1024 )) MB for $N"
