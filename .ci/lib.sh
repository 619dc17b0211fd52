# Helpers for .ci/run, kept apart so that the tests can run them (CiScriptTest).

# Prints the first line of what a command writes (stdout and stderr), and never fails: the command's whole output
# is read first. Piping into `head -1` instead lets head close the pipe while the command is still writing, and
# under `set -o pipefail` the command's reaction to that decides the script's fate: `mvn -v | head -1` exited 1 in
# about one run in four, which failed CI before any test ran.
first_line() {
  local output
  output=$("$@" 2>&1) || true
  printf '%s\n' "${output%%$'\n'*}"
}

# The first line of Mosquitto's help, which names its version (`mosquitto -h` exits non-zero by design); empty when
# it is not installed.
mosquitto_version() {
  if [ -x /usr/sbin/mosquitto ]; then
    first_line /usr/sbin/mosquitto -h
  elif command -v mosquitto >/dev/null 2>&1; then
    first_line mosquitto -h
  fi
}

# True when the installed Mosquitto is 2.0.13 or later (older ones keep no in-flight window towards a slow
# subscriber).
mosquitto_is_recent() {
  [[ "$(mosquitto_version)" =~ version\ (2\.0\.(1[3-9]|[2-9][0-9])|2\.[1-9]|[3-9]\.) ]]
}

# Where .ci/run unpacks Debian 12's own Mosquitto, 2.0.11, beside the installed one (LegacyMosquittoFlowControlIT and
# BrokerMatrixTest run the bridge against it; MosquittoProcess.DEBIAN_12_EXECUTABLE).
MOSQUITTO_2011_DIR=/opt/mosquitto-2.0.11

# Reads `apt-cache madison mosquitto` on stdin and prints the newest 2.0.11 package version it lists (Debian 12's own,
# with its security updates), or nothing.
mosquitto_2011_version() {
  awk -F'|' '{gsub(/ /, "", $2); if ($2 ~ /^2\.0\.11-/) print $2}' | sort -V | tail -n 1
}

# The installed RabbitMQ server's version (the name of its directory), or a line saying it is missing.
rabbitmq_version() {
  local dir
  for dir in /usr/lib/rabbitmq/lib/rabbitmq_server-*; do
    if [ -d "$dir" ]; then
      echo "rabbitmq ${dir##*/rabbitmq_server-}"
      return 0
    fi
  done
  echo "rabbitmq not installed"
}
