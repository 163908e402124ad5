#!/usr/bin/env bash
# A private PostgreSQL 15 cluster on loopback for the pg state backend's tests
# (tests/pg_backend.rs). Debian's binaries, a cluster under tests/support/.run/postgres/ created
# fresh by each start, owned by the postgres user (PostgreSQL refuses to run as root), with
# password authentication over TCP so that the tests see a real secret in the connection string.
# TLS is on, with a certificate for localhost and 127.0.0.1 signed by a CA made at start
# (openssl); the role tls_only may log in only over TLS, so a test connecting as it proves that
# TLS was used.
#
# Usage: tests/support/postgres.sh install|start|stop|env
#   install  apt-get installs postgresql (Debian's 15) if missing; ~30-60 s the first time on a
#            machine without it, nothing after
#   start    installs if needed, initdb + start on 127.0.0.1:$GGPLAN_PG_PORT (default 25432,
#            outside the ephemeral range the other services' ports come from); ~3 s
#   stop     stops the cluster start started (idempotent)
#   env      prints the export lines the tests read (GGPLAN_TEST_PG_CONN_STR, and for TLS
#            GGPLAN_TEST_PG_TLS_CONN_STR and GGPLAN_TEST_PG_TLS_CA)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
RUN=${GGPLAN_PG_RUN:-$ROOT/tests/support/.run/postgres}
PG_BIN=/usr/lib/postgresql/15/bin
PORT=${GGPLAN_PG_PORT:-25432}

log() { echo "postgres.sh: $*" >&2; }

install() {
  if [[ -x $PG_BIN/postgres ]] && command -v openssl >/dev/null; then
    return
  fi
  log "apt-get installing postgresql"
  apt-get update -qq
  # The distribution's own cluster is not wanted: policy-rc.d keeps it from starting.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql openssl >/dev/null
}

as_postgres() { runuser -u postgres -- "$@"; }

# A CA, and a server certificate it signs for localhost and 127.0.0.1, in $RUN/tls.
make_certificates() {
  local dir=$RUN/tls
  mkdir -p "$dir"
  local key=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
  openssl req -x509 "${key[@]}" -days 3650 -subj "/CN=ggplan test CA" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
    -keyout "$dir/ca.key" -out "$dir/ca.crt" 2>/dev/null
  openssl req "${key[@]}" -subj "/CN=localhost" -keyout "$dir/server.key" \
    -out "$dir/server.csr" 2>/dev/null
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >"$dir/ext"
  openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
    -CAcreateserial -days 3650 -extfile "$dir/ext" -out "$dir/server.crt" 2>/dev/null
  chmod 600 "$dir/server.key"
}

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
  make_certificates
  chown -R postgres: "$RUN"
  # Before initdb's host lines, which would let tls_only in without TLS.
  sed -i '/^# TYPE/a hostnossl all tls_only all reject' "$RUN/data/pg_hba.conf"
  as_postgres "$PG_BIN/pg_ctl" -D "$RUN/data" -l "$RUN/postgres.log" -w -t 60 start \
    -o "-h 127.0.0.1 -p $PORT -k $RUN -c fsync=off -c full_page_writes=off -c max_connections=100 \
      -c ssl=on -c ssl_cert_file=$RUN/tls/server.crt -c ssl_key_file=$RUN/tls/server.key" \
    >/dev/null || {
    log "PostgreSQL did not start; the end of its log:"
    tail -n 40 "$RUN/postgres.log" >&2
    exit 1
  }
  echo "$PORT" >"$RUN/port"
  as_postgres "$PG_BIN/psql" -q -h "$RUN" -p "$PORT" -d postgres -v ON_ERROR_STOP=1 -c \
    "CREATE ROLE tls_only LOGIN PASSWORD '$(cat "$RUN/password")'; GRANT CREATE ON DATABASE postgres TO tls_only;"
  log "PostgreSQL 15 is up on 127.0.0.1:$PORT after $((SECONDS - started)) s (log in $RUN/postgres.log)"
}

stop() {
  if [[ -f $RUN/data/postmaster.pid ]]; then
    as_postgres "$PG_BIN/pg_ctl" -D "$RUN/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
}

print_env() {
  local password port
  password=$(cat "$RUN/password")
  port=$(cat "$RUN/port")
  echo "export GGPLAN_TEST_PG_CONN_STR='postgres://postgres:$password@127.0.0.1:$port/postgres?sslmode=disable'"
  echo "export GGPLAN_TEST_PG_TLS_CONN_STR='postgres://tls_only:$password@localhost:$port/postgres'"
  echo "export GGPLAN_TEST_PG_TLS_CA='$RUN/tls/ca.crt'"
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
