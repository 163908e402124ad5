#!/usr/bin/env bash
# Installs what the tests need and runs every test of the workspace.
# Usage: scripts/test.sh [extra cargo test arguments]
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo >/dev/null 2>&1; then
  echo "cargo is required: install the Rust toolchain (https://rustup.rs) first." >&2
  exit 1
fi

cargo build --workspace --all-targets --locked

# Real services the provider tests run against are installed and started here.
# A real OpenStack on loopback for the openstack provider's end-to-end tests (~2-4 min to
# install the first time, ~70 s to start); stopped again however the tests end.
trap 'tests/support/openstack.sh stop' EXIT
tests/support/openstack.sh start
eval "$(tests/support/openstack.sh env)"

cargo test --workspace --locked "$@"
