#!/usr/bin/env bash
# redis-py's own command tests (tests/ of redis-py 8.1.0) through Metacluster in front of three
# redis-server clusters, and against one plain redis-server, for comparison, in RESP2 and RESP3.
#
#   scripts/client-suite.sh [--no-build] [--protocol 2|3]... [TEST...]
#                                         e.g. scripts/client-suite.sh tests/test_pipeline.py
#
# Needs python3 with venv and pip (redis==8.1.0, pytest, pytest-asyncio and pytest-timeout are
# installed in run/client-suite/venv) and redis-server 7.0. redis-py's tests come from
# REDIS_PY_GIT (a git dir holding tag v8.1.0; default the local mirror) or, when it is missing,
# a shallow clone from GitHub. Not part of scripts/test.sh: it takes minutes.
#
# Each side runs the same pytest invocation with --redis-url pointing at it. Output: passed,
# failed and skipped per side and protocol, then every test that fails through the proxy only,
# marked "expected" with its reason when it is on EXPECTED below, else "UNEXPECTED". Exits 1
# when there is an unexpected one. JUnit XML and logs of each run under run/client-suite/.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib.sh
. "$ROOT/scripts/lib.sh"
# shellcheck source=suite-lib.sh
. "$ROOT/scripts/suite-lib.sh"

RUN=$ROOT/run/client-suite
REDIS_PY_GIT=${REDIS_PY_GIT:-/work/.mirror/redis+redis-py/repo}
REDIS_PY_TAG=v8.1.0
DEFAULT_TESTS=(tests/test_commands.py tests/test_asyncio/test_commands.py tests/test_pipeline.py
  tests/test_pubsub.py tests/test_function.py tests/test_scripting.py tests/test_lock.py tests/test_encoding.py)
# Tests left out on both sides (pytest --deselect), because through the proxy they break the
# clusters for every test after them.
SKIPS=(
  # CONFIG SET requirepass on every node, then AUTH to the proxy (which has no password) to undo
  # it: the proxy's new backend connections cannot log in to the nodes any more
  tests/test_commands.py::TestRedisCommands::test_auth
)
# Tests that fail through the proxy only, for a reason docs/redis-compatibility.md gives:
# "REGEX :: reason", the Python regular expression searched in the pytest node id. Both sides run
# them; the report marks them expected.
EXPECTED=(
  "::test_client_kill_filter_by_user :: AUTH as a server ACL user: AUTH is the proxy's own"
  "::test_replicaof :: replication commands are not proxied"
  "::test_client_tracking\b :: CLIENT TRACKING REDIRECT (RESP2 invalidations to another connection): refused, use RESP3"
)

build=1
protocols=()
tests=()
while [ $# -gt 0 ]; do
  case $1 in
    --no-build) build=0 ;;
    --protocol) protocols+=("$2"); shift ;;
    -h|--help) sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) tests+=("$1") ;;
  esac
  shift
done
[ "${#protocols[@]}" -gt 0 ] || protocols=(2 3)
[ "${#tests[@]}" -gt 0 ] || tests=("${DEFAULT_TESTS[@]}")

ensure_commands python3:python3 git:git
mkdir -p "$RUN"
if [ ! -x "$RUN/venv/bin/pytest" ]; then
  python3 -m venv "$RUN/venv" || { echo "error: python3 -m venv failed (apt-get install python3-venv)" >&2; exit 1; }
  "$RUN/venv/bin/pip" install -q redis==8.1.0 pytest pytest-asyncio pytest-timeout packaging
fi
PY_TESTS=$RUN/redis-py-$REDIS_PY_TAG
if [ ! -f "$PY_TESTS/tests/conftest.py" ]; then
  rm -rf "$PY_TESTS"
  if [ -d "$REDIS_PY_GIT" ]; then
    mkdir -p "$PY_TESTS"
    # pyproject.toml holds the suite's pytest settings (asyncio mode, markers, 30 s per test)
    git --git-dir="$REDIS_PY_GIT" archive "$REDIS_PY_TAG" tests pyproject.toml | tar -x -C "$PY_TESTS"
  else
    git clone -q --depth 1 --branch "$REDIS_PY_TAG" https://github.com/redis/redis-py "$PY_TESTS"
  fi
fi
suite_start "$RUN" "$build"

# run SIDE PORT PROTOCOL: one pytest run; its JUnit XML is RUN/SIDE-PROTOCOL.xml
run() {
  local url=redis://127.0.0.1:$2 skip=() test
  for test in "${SKIPS[@]}"; do skip+=(--deselect "$test"); done
  # the installed redis package, not the checkout's, is the client under test: the suite runs
  # from its own directory, where only tests/ and pyproject.toml are. The suite's 30 s per test
  # covers the test only: on a loaded machine, pytest's report of a failure (it parses the test
  # file) could otherwise take the rest, and a timeout there ends the whole run (INTERNALERROR).
  (cd "$PY_TESTS" && timeout 3600 "$RUN/venv/bin/python" -m pytest "${tests[@]}" "${skip[@]}" -p no:cacheprovider \
    -o filterwarnings=ignore -o timeout_func_only=true --tb=native --durations=20 --redis-url="$url" \
    --redis-mod-url="$url" --protocol="$3" --junitxml="$RUN/$1-$3.xml") >"$RUN/$1-$3.log" 2>&1 || true
  suite_reset
}

for protocol in "${protocols[@]}"; do
  run proxy "$PROXY" "$protocol"
  run direct "$DIRECT" "$protocol"
done

expected_file=$RUN/expected.tsv
printf '%s\n' "${EXPECTED[@]}" >"$expected_file"
"$RUN/venv/bin/python" "$ROOT/scripts/client-suite-report.py" "$RUN" "$PY_TESTS" "$expected_file" "${protocols[@]}"
