# The servers of a benchmark script on loopback: a run directory on tmpfs, free ports, config
# files from templates, processes started in the background and stopped at exit, and where
# results go. Sourced by bench/run, bench/fragile_origin and bench/h2load, after they define
# BENCH_DIR, log and die (each prints under its own name).

# Creates RUN_DIR (/dev/shm, else $TMPDIR or /tmp; named etagd-$1.XXXXXX) and arranges that
# every process started with `spawn` is stopped and the directory removed at exit; kept
# instead when the caller set keep=1.
make_run_dir() {  # name
  local parent=/dev/shm
  [ -d "$parent" ] && [ -w "$parent" ] || parent="${TMPDIR:-/tmp}"
  RUN_DIR="$(mktemp -d "$parent/etagd-$1.XXXXXX")"
  chmod 755 "$RUN_DIR"
  started_pids=()
  trap cleanup EXIT
  trap 'exit 130' INT TERM
}

cleanup() {
  local pid i
  for pid in "${started_pids[@]}"; do kill -TERM "$pid" 2> /dev/null || true; done
  for pid in "${started_pids[@]}"; do
    for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2> /dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2> /dev/null || true
  done
  wait 2> /dev/null || true
  if ((${keep:-0})); then log "run directory kept: $RUN_DIR"; else rm -rf "$RUN_DIR"; fi
}

# Runs a command in the background with stdout and stderr to a file, to be stopped at exit;
# sets the named variable to its pid (the command's own: bash execs a simple command, and
# taskset execs what it pins).
spawn() {  # pid-variable output-file command...
  local var="$1" out="$2"
  shift 2
  "$@" > "$out" 2>&1 &
  started_pids+=("$!")
  printf -v "$var" '%s' "$!"
}

# SIGTERM, then SIGKILL if it is still there after 5 s.
stop_pid() {  # pid
  local i
  kill -TERM "$1" 2> /dev/null || true
  for ((i = 0; i < 50; i++)); do kill -0 "$1" 2> /dev/null || return 0; sleep 0.1; done
  kill -KILL "$1" 2> /dev/null || true
}

# Free loopback ports: ones no socket uses now (from /proc/net/tcp*), in 20000-29999, below
# Linux's default ephemeral range (32768-60999) so an outgoing connection cannot take one
# meanwhile. Every server is then checked to be listening before anything runs.
declare -A used_ports=()
while read -r _ local_addr _; do
  [[ "$local_addr" == *:* ]] || continue
  used_ports[$((16#${local_addr##*:}))]=1
done < <(cat /proc/net/tcp /proc/net/tcp6 2> /dev/null)
next_port=$((20000 + RANDOM % 8000))
free_port() {  # variable-name: sets it (no subshell, so the taken ports are remembered)
  while [ -n "${used_ports[$next_port]:-}" ]; do next_port=$((next_port + 1)); done
  used_ports[$next_port]=1
  printf -v "$1" '%s' "$next_port"
}

# Until an HTTP request to the URL gets any answer, for at most 10 s; dies when the server
# exits or never answers.
wait_answering() {  # url name pid
  local i
  for ((i = 0; i < 100; i++)); do
    curl -s -o /dev/null --max-time 1 "$1" && return 0
    kill -0 "$3" 2> /dev/null || die "$2 exited at start-up"
    sleep 0.1
  done
  die "$2 does not answer $1 after 10 s"
}

# Writes $1 from template $2, replacing @NAME@ with the value of each NAME=value argument.
render() {  # out template NAME=value...
  local out="$1" template="$2" kv sed_args=()
  shift 2
  for kv in "$@"; do sed_args+=(-e "s|@${kv%%=*}@|${kv#*=}|g"); done
  sed "${sed_args[@]}" "$template" > "$out"
  ! grep -q '@[A-Z_0-9]*@' "$out" || die "unfilled placeholder in $out"
}

# A self-signed P-256 certificate for 127.0.0.1 and localhost in RUN_DIR/tls, for every TLS
# listener of a run (etagd's, nginx's, the https origin's); sets CERT and KEY.
make_certificate() {
  CERT="$RUN_DIR/tls/cert.pem" KEY="$RUN_DIR/tls/key.pem"
  mkdir -p "$RUN_DIR/tls"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=localhost \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -keyout "$KEY" -out "$CERT" \
    > "$RUN_DIR/tls/openssl.log" 2>&1 || { cat "$RUN_DIR/tls/openssl.log" >&2; die "openssl req failed"; }
}

# nginx run as root must be told to keep root for its workers, which write under RUN_DIR.
# shellcheck disable=SC2034  # used by the scripts that source this file
if [ "$(id -u)" -eq 0 ]; then nginx_user_line="user root;"; else nginx_user_line=""; fi

# Sets the named variable to bench/results/<timestamp> (created), the start of the names of
# this run's result files.
results_prefix() {  # variable-name
  mkdir -p "$BENCH_DIR/results"
  printf -v "$1" '%s' "$BENCH_DIR/results/$(date +%Y%m%d-%H%M%S)"
}
