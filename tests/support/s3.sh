#!/usr/bin/env bash
# A real S3-compatible server on loopback for the s3 state backend's tests
# (tests/s3_backend.rs): s3s-fs, the file-system server of the s3s project (crates.io), with
# SigV4 authentication on and path-style requests. Its data is a directory: a bucket is a
# subdirectory of it, an object a file (tests create buckets with mkdir and look at objects
# there, as the pg tests query the tables).
#
# s3s-fs 0.14.1 (the last release that builds with Rust 1.95) serves what the backend uses:
# GetObject, PutObject with If-None-Match: * and If-Match: ETag (412 when they fail),
# DeleteObject and ListObjectsV2. Its conditional PUT checks, then writes: two writers racing
# within the same instant can both pass (Amazon S3 decides atomically). The tests race writers
# only with one held between its read and its write; see docs/state-backends.md.
#
# No package ships the binary: `install` builds it once with `cargo install --locked` into a
# cache outside the work tree:
#
#   ${GGPLAN_TEST_CACHE:-$HOME/.cache/ggplan-test}/s3s-fs-0.14.1/bin/s3s-fs
#                                          (~4-6 min of 2 busy cores, the first time)
#   ${GGPLAN_TEST_CACHE:-$HOME/.cache/ggplan-test}/s3s-fs-0.14.1.log   the last build's output
#
# Usage: tests/support/s3.sh install|start|stop|env
#   install  builds the binary into the cache when it is missing (in a temporary root moved
#            into place at the end, so an interrupted build is redone); concurrent installs
#            wait for each other
#   start    installs if needed, starts the server on 127.0.0.1:$GGPLAN_S3_PORT (default 29000)
#            over a fresh data directory tests/support/.run/s3/data with a fresh random secret
#            key (idempotent: nothing happens when it already runs); ~1 s
#   stop     stops the server start started, by the pid it recorded (idempotent)
#   env      prints the export lines the tests read (GGPLAN_TEST_S3_*: the endpoint, keys, data
#            directory, and the binary for a test that runs a server of its own)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
RUN=$ROOT/tests/support/.run/s3
VERSION=0.14.1
CACHE=${GGPLAN_TEST_CACHE:-$HOME/.cache/ggplan-test}
BIN=$CACHE/s3s-fs-$VERSION/bin/s3s-fs
PORT=${GGPLAN_S3_PORT:-29000}
ACCESS_KEY=ggplan-test

log() { echo "s3.sh: $*" >&2; }

install() {
  if [[ -x $BIN ]]; then
    return
  fi
  mkdir -p "$CACHE"
  exec 9>"$CACHE/s3s-fs.lock"
  flock 9
  if [[ -x $BIN ]]; then
    return
  fi
  local building=$CACHE/s3s-fs-$VERSION.building started=$SECONDS
  rm -rf "$building"
  log "building s3s-fs $VERSION with cargo install (log: $CACHE/s3s-fs-$VERSION.log)"
  if ! cargo install s3s-fs --version "=$VERSION" --features binary --locked \
    --root "$building" >"$CACHE/s3s-fs-$VERSION.log" 2>&1; then
    log "the build failed; the end of its log:"
    tail -n 30 "$CACHE/s3s-fs-$VERSION.log" >&2
    exit 1
  fi
  rm -rf "$CACHE/s3s-fs-$VERSION"
  mv "$building" "$CACHE/s3s-fs-$VERSION"
  log "built s3s-fs in $((SECONDS - started)) s"
}

running() {
  [[ -f $RUN/pid ]] && kill -0 "$(cat "$RUN/pid")" 2>/dev/null
}

start() {
  install
  if running; then
    return
  fi
  stop
  rm -rf "$RUN"
  mkdir -p "$RUN/data"
  # A random secret: the tests check that it never appears in what ggplan prints.
  echo "s3-$RANDOM$RANDOM-secret" >"$RUN/secret"
  setsid "$BIN" --host 127.0.0.1 --port "$PORT" --access-key "$ACCESS_KEY" \
    --secret-key "$(cat "$RUN/secret")" "$RUN/data" >"$RUN/s3s-fs.log" 2>&1 &
  echo $! >"$RUN/pid"
  echo "$PORT" >"$RUN/port"
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
      log "s3s-fs is up on 127.0.0.1:$PORT (data in $RUN/data, log in $RUN/s3s-fs.log)"
      return
    fi
    running || break
    sleep 0.1
  done
  log "s3s-fs did not start; the end of its log:"
  tail -n 20 "$RUN/s3s-fs.log" >&2
  exit 1
}

stop() {
  if running; then
    kill "$(cat "$RUN/pid")"
  fi
  rm -f "$RUN/pid"
}

print_env() {
  echo "export GGPLAN_TEST_S3_ENDPOINT='http://127.0.0.1:$(cat "$RUN/port")'"
  echo "export GGPLAN_TEST_S3_ACCESS_KEY='$ACCESS_KEY'"
  echo "export GGPLAN_TEST_S3_SECRET_KEY='$(cat "$RUN/secret")'"
  echo "export GGPLAN_TEST_S3_DATA='$RUN/data'"
  echo "export GGPLAN_TEST_S3_BIN='$BIN'"
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
