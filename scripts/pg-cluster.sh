#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests and CI: `start` (idempotent) prints its URL, `url` prints
# it if running, `stop` stops it and removes its data. Installs Debian's PostgreSQL when no initdb
# exists under /usr/lib/postgresql/*/bin. PostgreSQL refuses to run as root, so as root the cluster
# runs as the `postgres` system user (created by the package, or by us if missing).
#   state: $CAPSTAN_PG_STATE (default /tmp/capstan-pg): url, data/ (with server.log), initdb.log
set -euo pipefail
STATE=${CAPSTAN_PG_STATE:-/tmp/capstan-pg}
DATA="$STATE/data"
URL_FILE="$STATE/url"
LOG="$STATE/initdb.log"
SERVER_LOG="$DATA/server.log"   # written by the server user, so inside its own data dir

find_bin() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$d" ] && [ -x "$d/initdb" ]; then echo "$d"; fi
}

install_pg() {
  command -v apt-get >/dev/null 2>&1 || { echo "pg-cluster: no initdb and no apt-get; install PostgreSQL" >&2; exit 1; }
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "pg-cluster: not root and no sudo; run: apt-get install -y postgresql" >&2; exit 1; }
    sudo="sudo"
  fi
  export DEBIAN_FRONTEND=noninteractive
  echo "pg-cluster: installing PostgreSQL from Debian's packages" >&2
  $sudo apt-get update -qq
  # postgresql-common first, told not to create (and start) the default "main" cluster: we only
  # ever want our own throwaway one.
  $sudo apt-get install -y -qq postgresql-common >/dev/null
  $sudo sed -ri 's/^#?\s*create_main_cluster\s*=.*$/create_main_cluster = false/' /etc/postgresql-common/createcluster.conf
  $sudo apt-get install -y -qq postgresql >/dev/null
}

# The user the server runs as, and how to run a command as that user.
run_as() {
  if [ "$(id -u)" -ne 0 ]; then "$@"; return; fi
  runuser -u "$PG_USER" -- "$@"
}

pick_user() {
  if [ "$(id -u)" -ne 0 ]; then PG_USER=$(id -un); return; fi
  PG_USER=${CAPSTAN_PG_USER:-postgres}
  if ! id "$PG_USER" >/dev/null 2>&1; then
    useradd --system --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin "$PG_USER"
  fi
}

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

is_running() {
  [ -f "$DATA/postmaster.pid" ] && [ -f "$URL_FILE" ] && [ -n "${BIN:-}" ] && run_as "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1
}

start() {
  BIN=$(find_bin)
  if [ -z "$BIN" ]; then install_pg; BIN=$(find_bin); fi
  [ -n "$BIN" ] || { echo "pg-cluster: initdb still not found after install" >&2; exit 1; }
  pick_user
  mkdir -p "$STATE"
  chmod 0755 "$STATE"
  if is_running; then cat "$URL_FILE"; return; fi
  # a stale state (crashed run, reboot): start from scratch
  rm -rf "$DATA" "$URL_FILE"
  mkdir -m 0700 "$DATA"
  chown "$PG_USER" "$DATA" "$STATE"
  run_as "$BIN/initdb" -D "$DATA" -U postgres --auth=trust --encoding=UTF8 --no-locale --no-sync >"$LOG" 2>&1 \
    || { cat "$LOG" >&2; exit 1; }
  # Test settings: durability off (the data is thrown away), room for many parallel test servers,
  # TCP on loopback only, the socket inside the data dir (no /var/run/postgresql needed).
  cat >>"$DATA/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$DATA'
max_connections = 300
shared_buffers = 32MB
fsync = off
synchronous_commit = off
full_page_writes = off
max_locks_per_transaction = 128
log_min_messages = warning
EOF
  local port attempt
  for attempt in 1 2 3; do
    port=$(free_port)
    if run_as "$BIN/pg_ctl" -D "$DATA" -l "$SERVER_LOG" -o "-p $port" -w -t 30 start >>"$LOG" 2>&1 9>&-; then
      echo "postgres://postgres@127.0.0.1:$port/postgres" >"$URL_FILE"
      chmod 0644 "$URL_FILE"
      cat "$URL_FILE"
      return
    fi
    echo "pg-cluster: start on port $port failed (attempt $attempt)" >&2
  done
  cat "$LOG" "$SERVER_LOG" >&2 || true
  exit 1
}

stop() {
  BIN=$(find_bin)
  if [ -n "$BIN" ] && [ -f "$DATA/postmaster.pid" ]; then
    pick_user
    run_as "$BIN/pg_ctl" -D "$DATA" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$DATA" "$URL_FILE" "$LOG"
}

# One start/stop at a time (parallel test workers may all ask for the cluster at once).
mkdir -p "$STATE"
exec 9>"$STATE.lock"
flock 9

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  url)
    BIN=$(find_bin)
    if [ -n "$BIN" ]; then pick_user; fi
    if is_running; then cat "$URL_FILE"; else echo "pg-cluster: not running" >&2; exit 1; fi
    ;;
  *) echo "usage: $0 start|stop|url" >&2; exit 2 ;;
esac
