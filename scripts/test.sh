#!/usr/bin/env bash
# THE test command: installs what the tests need when it is missing, then runs every test
# (unit, integration against real redis-server and memcached processes, end to end through
# the built distribution) with `mvn -B verify`. Extra arguments go to Maven, e.g.
#   scripts/test.sh -pl protocol-redis -am
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib.sh
. "$ROOT/scripts/lib.sh"

# the tests start their own servers on free loopback ports; they only need the binaries
ensure_commands "${BUILD_TOOLS[@]}" redis-server:redis-server redis-cli:redis-tools memcached:memcached openssl:openssl \
  nutcracker:nutcracker tmux:tmux systemd-analyze:systemd \
  '/usr/lib/*/sasl2/libplain.so*:libsasl2-modules'  # memcached -S (MemcachedAuthIT) needs SASL PLAIN
require_java17

cd "$ROOT"
exec mvn -B verify "$@"
