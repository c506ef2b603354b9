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
# COMMAND that is not on PATH (or, for a COMMAND with a /, of every file glob that matches nothing). Nothing is run (not even apt-get update) when all are present.
ensure_commands() {
  local pair missing=()
  for pair in "$@"; do
    # a name with a / is a file a package ships (a plugin, a library), not a command
    if [[ ${pair%%:*} == */* ]]; then
      compgen -G "${pair%%:*}" >/dev/null || missing+=("${pair#*:}")
    else
      command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
    fi
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

# require_java17: stop with a clear message when the JDK Maven will use ($JAVA_HOME, else
# java on PATH) is older than 17.
require_java17() {
  local java=java version major
  [ -n "${JAVA_HOME:-}" ] && java=$JAVA_HOME/bin/java
  version=$("$java" -version 2>&1 | awk -F'"' '/version/ { print $2; exit }')
  case $version in 1.*) major=${version#1.}; major=${major%%.*} ;; *) major=${version%%[.+-]*} ;; esac
  if ! [ "$major" -ge 17 ] 2>/dev/null; then
    echo "error: Java 17 or newer is needed to build; $java is '$version'. Install one (apt-get install openjdk-17-jdk-headless) and set JAVA_HOME to it." >&2
    return 1
  fi
}
