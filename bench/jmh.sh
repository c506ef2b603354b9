#!/usr/bin/env bash
# bench/jmh.sh: JMH benchmarks of the frame decoders (*CodecBench) and of the whole routing path
# through an in-process engine to real backends (*RoutingBench), with the GC profiler (B/op).
#
#   bench/jmh.sh                      all benchmarks, short iterations (about 4 minutes)
#   bench/jmh.sh 'Redis.*decode'      a subset (any extra arguments go to JMH)
#   bench/jmh.sh RoutingBench         only the routing path (starts redis-server / memcached)
#   BUILD=1 bench/jmh.sh              first re-install the project's artifacts (mvn install)
#
# bench/jmh/ is a standalone Maven project (not in the top-level reactor) that depends on
# io.metacluster:metacluster-{core,protocol-redis,protocol-memcached,strategy-locality}:0.1.0-SNAPSHOT
# and core's test-jar (the backend server helpers) from ~/.m2; they are installed first when
# missing. Results: bench/results/jmh.{txt,json,md} (BENCH_OUT=DIR to write elsewhere). Scores and gc.alloc.rate.norm are per command.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=../scripts/lib.sh
. "$ROOT/scripts/lib.sh"
OUT=${BENCH_OUT:-$ROOT/bench/results}
ensure_commands "${BUILD_TOOLS[@]}" python3:python3 redis-server:redis-server memcached:memcached
require_java17

M2=${MAVEN_REPO:-$HOME/.m2/repository}/io/metacluster
if [ "${BUILD:-0}" = 1 ] || [ ! -f "$M2/metacluster-protocol-memcached/0.1.0-SNAPSHOT/metacluster-protocol-memcached-0.1.0-SNAPSHOT.jar" ] ||
   [ ! -f "$M2/metacluster-protocol-redis/0.1.0-SNAPSHOT/metacluster-protocol-redis-0.1.0-SNAPSHOT.jar" ] ||
   [ ! -f "$M2/metacluster-strategy-locality/0.1.0-SNAPSHOT/metacluster-strategy-locality-0.1.0-SNAPSHOT.jar" ] ||
   [ ! -f "$M2/metacluster-core/0.1.0-SNAPSHOT/metacluster-core-0.1.0-SNAPSHOT-tests.jar" ]; then
  echo "==> installing the project's artifacts (mvn -B -q install -DskipTests)"
  (cd "$ROOT" && mvn -B -q -Dstyle.color=never install -DskipTests)
fi
echo "==> building bench/jmh"
(cd "$ROOT/bench/jmh" && mvn -B -q -Dstyle.color=never package)

mkdir -p "$OUT"
args=("$@"); [ ${#args[@]} -eq 0 ] && args=('io.metacluster.bench.*')
# short iterations: 1 fork, 2 x 1 s warm-up, 3 x 1 s measurement; override with e.g. -i 10
timeout 1800 java -jar "$ROOT/bench/jmh/target/benchmarks.jar" -f 1 -wi 2 -w 1s -i 3 -r 1s -prof gc \
  -rf json -rff "$OUT/jmh.json" "${args[@]}" | tee "$OUT/jmh.txt"

python3 - "$OUT/jmh.json" "$OUT/jmh.md" <<'PY'
import json, sys, datetime
rows = json.load(open(sys.argv[1]))
out = [f"# JMH: frame decoders and routing path ({datetime.date.today().isoformat()}, `bench/jmh.sh`)", "",
       "Per command (a pipelined batch of 16, `@OperationsPerInvocation(16)`). "
       "*CodecBench, the protocol side only, without sockets or the engine: decode = ClientCodec.decode; "
       "reply = BackendCodec.replyLength + readRetainedSlice + isError + ClientCodec.present; forward = both. "
       "*RoutingBench.roundTrip, the whole path: a blocking client socket -> the engine in-process "
       "(ClientSession, read strategy / write fan-out, NodeConnection; 1 I/O thread) -> real redis-server / memcached children over "
       "loopback and back; clusters = how many clusters the listener fronts (1 node each; reads go to the "
       "local first one, writes to all). Its B/op counts the engine and the client, whose share is near zero; "
       "its ns/op is the round trip of the batch over loopback, backend included, divided by 16.", "",
       "| benchmark | op | value | clusters | ops/s | ns/op | B/op |", "|---|---|---:|---:|---:|---:|---:|"]
for r in rows:
    name = r["benchmark"].rsplit(".", 2)
    p = r.get("params", {})
    score = r["primaryMetric"]["score"]
    alloc = r.get("secondaryMetrics", {}).get("gc.alloc.rate.norm", {}).get("score")
    out.append(f"| {name[-2]}.{name[-1]} | {p.get('op','')} | {p.get('size','')} | {p.get('clusters','')} | {score:,.0f} | "
               f"{1e9 / score:.1f} | {'' if alloc is None else f'{alloc:.1f}'} |")
open(sys.argv[2], "w").write("\n".join(out) + "\n")
print("\n".join(out))
PY
