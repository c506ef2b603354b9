# Shared by scripts/demo.sh and scripts/test.sh (sourced, not run).

# as_root CMD...: run CMD as root (directly when root, else through sudo when there is one).
as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    echo "error: '$*' needs root and sudo is not installed; run this script as root" >&2
    return 1
  fi
}

# ensure_commands COMMAND:PACKAGE...: install, with apt-get, the Debian package of every
# COMMAND that is not on PATH. Nothing is run (not even apt-get update) when all are present.
ensure_commands() {
  local pair missing=()
  for pair in "$@"; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  # one package may provide several commands
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "error: missing ${missing[*]}, and this is not a Debian/Ubuntu machine (no apt-get): install them by hand" >&2
    return 1
  fi
  echo "==> installing ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
}

# The JDK and Maven the build needs (Debian's default JDK is 17 or newer).
BUILD_TOOLS=(java:default-jdk-headless javac:default-jdk-headless mvn:maven)
