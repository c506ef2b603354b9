# Shared by scripts/redis-suite.sh and scripts/client-suite.sh (sourced, not run): a test suite
# runs through the daemon in front of three redis-server clusters, and directly against one
# redis-server, for comparison. Needs lib.sh sourced first.

# suite_start RUN BUILD: builds the distribution when BUILD is 1, then starts three redis-servers
# as the clusters dc1 (local), dc2 and dc3 behind the daemon, and one more redis-server alone, all
# on free loopback ports, with their logs in RUN (the daemon of $SUITE_DIST when set, else the newest
# one built). Sets SUITE_PORTS (the three clusters' ports),
# DIRECT and PROXY. Everything it started stops when the calling script exits.
suite_start() {
  local run=$1 build=$2 dist p
  ensure_commands redis-server:redis-server redis-cli:redis-tools
  if [ "$build" -eq 1 ]; then
    (cd "$ROOT" && mvn -B -q -Dstyle.color=never -DskipTests package -pl distribution -am)
  fi
  # SUITE_DIST: a copy of a built distribution, so that a build meanwhile does not replace the jars under the daemon
  dist=${SUITE_DIST:-$(find "$ROOT/distribution/target" -mindepth 1 -maxdepth 1 -type d -name 'metacluster-*' | sort | tail -n 1)}
  [ -x "$dist/bin/metacluster" ] || { echo "error: no built distribution (run without --no-build)" >&2; exit 1; }
  mkdir -p "$run"
  SUITE_PIDS=()
  trap _suite_stop EXIT
  trap 'exit 130' INT TERM
  SUITE_PORTS=("$(_suite_free_port)" "$(_suite_free_port)" "$(_suite_free_port)")
  DIRECT=$(_suite_free_port)
  PROXY=$(_suite_free_port)
  for p in "${SUITE_PORTS[@]}" "$DIRECT"; do
    # --enable-debug-command: the direct run may use DEBUG, as against any test server
    redis-server --port "$p" --bind 127.0.0.1 --save '' --appendonly no --dir "$run" \
      --logfile "$run/redis-$p.log" --enable-debug-command local >/dev/null &
    SUITE_PIDS+=($!)
  done
  for p in "${SUITE_PORTS[@]}" "$DIRECT"; do _suite_wait_port "$p"; done
  cat >"$run/metacluster.yaml" <<YAML
replay: { dir: "" }
# the suites run slow commands on purpose, on a loaded machine: a node is not taken for hung after 1 s
backend: { request-timeout-ms: 30000, suspect-after-ms: 10000 }
listeners:
  - name: suite
    protocol: redis
    bind: 127.0.0.1:$PROXY
    clusters: [dc1, dc2, dc3]
    protocol-options: { server-commands: all-clusters }
clusters:
  - { name: dc1, local: true, nodes: [127.0.0.1:${SUITE_PORTS[0]}] }
  - { name: dc2, nodes: [127.0.0.1:${SUITE_PORTS[1]}] }
  - { name: dc3, nodes: [127.0.0.1:${SUITE_PORTS[2]}] }
YAML
  "$dist/bin/metacluster" --config "$run/metacluster.yaml" >"$run/metacluster.log" 2>&1 &
  SUITE_PIDS+=($!)
  _suite_wait_port "$PROXY" || { echo "error: the daemon did not start (see $run/metacluster.log)" >&2; exit 1; }
}

# suite_reset: what a fresh server per unit would give: no script left running (a test that fails
# half-way can leave one looping), no data, no functions. Directly on every server.
suite_reset() {
  local p
  for p in "${SUITE_PORTS[@]}" "$DIRECT"; do
    redis-cli -p "$p" script kill >/dev/null 2>&1 || true
    redis-cli -p "$p" function kill >/dev/null 2>&1 || true
    redis-cli -p "$p" function flush >/dev/null 2>&1 || true
    redis-cli -p "$p" flushall >/dev/null 2>&1 || true
  done
}

_suite_free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
_suite_wait_port() { local i; for i in $(seq 200); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }
_suite_stop() {
  local pid
  for pid in "${SUITE_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
