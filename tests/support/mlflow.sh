#!/usr/bin/env bash
# Installs MLflow into the repository's .venv and runs two MLflow tracking servers on loopback for
# the mlflow provider's tests: a plain one and one with the basic-auth app. Both use a sqlite
# backend store under tests/support/.run/mlflow/ (fresh on each start).
#
# Usage: tests/support/mlflow.sh install|start|stop|env
#   install  pip-installs mlflow[auth] when .venv/bin/mlflow is missing (pip's cache is kept)
#   start    installs if needed, starts both servers (idempotent), waits for /health (bounded)
#   stop     stops the servers this script started, by the PIDs it recorded (idempotent)
#   env      prints the export lines the tests read (GGPLAN_TEST_MLFLOW_*)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
VENV=$ROOT/.venv
RUN=$ROOT/tests/support/.run/mlflow
MLFLOW_VERSION=${GGPLAN_MLFLOW_VERSION:-3.17.0}
START_TIMEOUT=${GGPLAN_MLFLOW_START_TIMEOUT:-120}

install() {
  if [[ -x $VENV/bin/mlflow ]]; then
    return
  fi
  if ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
    # Debian splits venv support out of python3.
    echo "mlflow.sh: installing python3-venv with apt-get" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
  fi
  echo "mlflow.sh: installing mlflow[auth]==$MLFLOW_VERSION into $VENV (about 70 s)" >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "mlflow[auth]==$MLFLOW_VERSION"
}

# A TCP port nobody listens on right now.
free_port() {
  "$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

running() {
  local pidfile=$RUN/$1.pid
  [[ -f $pidfile ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

# start_server NAME [extra mlflow server arguments...]
start_server() {
  local name=$1
  shift
  if running "$name"; then
    return
  fi
  local dir=$RUN/$name port
  rm -rf "$dir"
  mkdir -p "$dir/artifacts"
  port=$(free_port)
  # setsid: the server and its workers form one process group, stopped together by its id.
  MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false setsid "$VENV/bin/mlflow" server \
    --host 127.0.0.1 --port "$port" --workers 1 \
    --backend-store-uri "sqlite:///$dir/mlflow.db" \
    --default-artifact-root "$dir/artifacts" "$@" \
    >"$dir/server.log" 2>&1 </dev/null &
  echo $! >"$RUN/$name.pid"
  echo "http://127.0.0.1:$port" >"$RUN/$name.url"
}

wait_healthy() {
  local name=$1 url deadline
  url=$(cat "$RUN/$name.url")
  deadline=$((SECONDS + START_TIMEOUT))
  until "$VENV/bin/python" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' \
    "$url/health" >/dev/null 2>&1; do
    if ! running "$name"; then
      echo "mlflow.sh: the $name server exited; its log:" >&2
      tail -n 30 "$RUN/$name/server.log" >&2
      exit 1
    fi
    if ((SECONDS >= deadline)); then
      echo "mlflow.sh: the $name server at $url was not healthy after ${START_TIMEOUT}s" >&2
      exit 1
    fi
    sleep 0.5
  done
}

start() {
  install
  mkdir -p "$RUN"
  start_server plain
  if ! running auth; then
    local password
    password=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
    mkdir -p "$RUN/auth"
    cat >"$RUN/auth.ini" <<INI
[mlflow]
default_permission = READ
database_uri = sqlite:///$RUN/auth-users.db
admin_username = admin
admin_password = $password
authorization_function = mlflow.server.auth:authenticate_request_basic_auth
INI
    rm -f "$RUN/auth-users.db"
    echo "$password" >"$RUN/auth.password"
    MLFLOW_AUTH_CONFIG_PATH=$RUN/auth.ini MLFLOW_FLASK_SERVER_SECRET_KEY=$password \
      start_server auth --app-name basic-auth
  fi
  wait_healthy plain
  wait_healthy auth
}

stop() {
  local name pid
  for name in plain auth; do
    [[ -f $RUN/$name.pid ]] || continue
    pid=$(cat "$RUN/$name.pid")
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.2
      done
      kill -KILL -- "-$pid" 2>/dev/null || true
    fi
    rm -f "$RUN/$name.pid"
  done
}

print_env() {
  echo "export GGPLAN_TEST_MLFLOW_URL=$(cat "$RUN/plain.url")"
  echo "export GGPLAN_TEST_MLFLOW_AUTH_URL=$(cat "$RUN/auth.url")"
  echo "export GGPLAN_TEST_MLFLOW_ADMIN_USER=admin"
  echo "export GGPLAN_TEST_MLFLOW_ADMIN_PASSWORD=$(cat "$RUN/auth.password")"
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
