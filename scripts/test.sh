#!/usr/bin/env bash
# Installs what the tests need and runs every test of the workspace.
# Usage: scripts/test.sh [extra cargo test arguments]
set -euo pipefail
cd "$(dirname "$0")/.."

# The tests need only the Rust toolchain for now; real services (sshd, MLflow, OpenStack) are
# installed here by the provider issues that test against them.
if ! command -v cargo >/dev/null 2>&1; then
  echo "cargo is required: install the Rust toolchain (https://rustup.rs) first." >&2
  exit 1
fi

# Real OpenSSH servers on loopback for the ssh provider (tests/support/ssh.sh says which).
tests/support/ssh.sh start >/dev/null
trap 'tests/support/ssh.sh stop' EXIT
export GGPLAN_TEST_SSH_DIR="$PWD/tests/support/.run/ssh"

cargo build --workspace --all-targets --locked
cargo test --workspace --locked "$@"
