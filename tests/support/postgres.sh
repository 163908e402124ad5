#!/usr/bin/env bash
# A private PostgreSQL 15 cluster on loopback for the pg state backend's tests
# (tests/pg_backend.rs). Debian's binaries, a cluster under tests/support/.run/postgres/ created
# fresh by each start, owned by the postgres user (PostgreSQL refuses to run as root), with
# password authentication over TCP so that the tests see a real secret in the connection string.
#
# Usage: tests/support/postgres.sh install|start|stop|env
#   install  apt-get installs postgresql (Debian's 15) if missing; ~30-60 s the first time on a
#            machine without it, nothing after
#   start    installs if needed, initdb + start on 127.0.0.1:$GGPLAN_PG_PORT (default 25432,
#            outside the ephemeral range the other services' ports come from); ~3 s
#   stop     stops the cluster start started (idempotent)
#   env      prints the export line the tests read (GGPLAN_TEST_PG_CONN_STR)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
RUN=${GGPLAN_PG_RUN:-$ROOT/tests/support/.run/postgres}
PG_BIN=/usr/lib/postgresql/15/bin
PORT=${GGPLAN_PG_PORT:-25432}

log() { echo "postgres.sh: $*" >&2; }

install() {
  if [[ -x $PG_BIN/postgres ]]; then
    return
  fi
  log "apt-get installing postgresql"
  apt-get update -qq
  # The distribution's own cluster is not wanted: policy-rc.d keeps it from starting.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
}

as_postgres() { runuser -u postgres -- "$@"; }

running() {
  [[ -f $RUN/data/postmaster.pid ]] && as_postgres "$PG_BIN/pg_ctl" -D "$RUN/data" status >/dev/null 2>&1
}

start() {
  install
  if running; then
    return
  fi
  stop
  rm -rf "$RUN"
  mkdir -p "$RUN"
  local started=$SECONDS
  # A random password: the tests check that it never appears in what ggplan prints.
  echo "pg-$RANDOM$RANDOM-secret" >"$RUN/password"
  cp "$RUN/password" "$RUN/pwfile"
  chown -R postgres: "$RUN"
  chmod 700 "$RUN"
  as_postgres "$PG_BIN/initdb" -D "$RUN/data" -U postgres --pwfile="$RUN/pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 >"$RUN/initdb.log"
  rm -f "$RUN/pwfile"
  as_postgres "$PG_BIN/pg_ctl" -D "$RUN/data" -l "$RUN/postgres.log" -w -t 60 start \
    -o "-h 127.0.0.1 -p $PORT -k $RUN -c fsync=off -c full_page_writes=off -c max_connections=100" \
    >/dev/null || {
    log "PostgreSQL did not start; the end of its log:"
    tail -n 40 "$RUN/postgres.log" >&2
    exit 1
  }
  echo "$PORT" >"$RUN/port"
  log "PostgreSQL 15 is up on 127.0.0.1:$PORT after $((SECONDS - started)) s (log in $RUN/postgres.log)"
}

stop() {
  if [[ -f $RUN/data/postmaster.pid ]]; then
    as_postgres "$PG_BIN/pg_ctl" -D "$RUN/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
}

print_env() {
  echo "export GGPLAN_TEST_PG_CONN_STR='postgres://postgres:$(cat "$RUN/password")@127.0.0.1:$(cat "$RUN/port")/postgres?sslmode=disable'"
}

case ${1:-} in
  install) install ;;
  start) start ;;
  stop) stop ;;
  env) print_env ;;
  *)
    echo "usage: $0 install|start|stop|env" >&2
    exit 2
    ;;
esac
