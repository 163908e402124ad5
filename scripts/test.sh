#!/usr/bin/env bash
# Installs what the tests need and runs every test of the workspace.
# Usage: scripts/test.sh [extra cargo test arguments]
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo >/dev/null 2>&1; then
  echo "cargo is required: install the Rust toolchain (https://rustup.rs) first." >&2
  exit 1
fi

# Real services the provider tests talk to, started on loopback (the MLflow servers while the
# workspace builds) and stopped by the PIDs their scripts recorded, however this script ends.
trap 'tests/support/mlflow.sh stop; tests/support/ssh.sh stop' EXIT
tests/support/mlflow.sh start &
mlflow_start=$!
tests/support/ssh.sh start >/dev/null
export GGPLAN_TEST_SSH_DIR="$PWD/tests/support/.run/ssh"

cargo build --workspace --all-targets --locked

wait "$mlflow_start"
eval "$(tests/support/mlflow.sh env)"
cargo test --workspace --locked "$@"
