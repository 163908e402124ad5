#!/usr/bin/env bash
# Installs what the tests need and runs every test of the workspace.
# Usage: scripts/test.sh [extra cargo test arguments]
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo >/dev/null 2>&1; then
  echo "cargo is required: install the Rust toolchain (https://rustup.rs) first." >&2
  exit 1
fi

# Real services the provider tests talk to, installed and started on loopback while the
# workspace builds (one after the other: their installs share apt), and stopped by the PIDs
# their scripts recorded, however this script ends:
#   ssh.sh        OpenSSH servers: a jump host and three nodes
#   gourmetgram_nodes.sh  the whole-stack test's stand-in servers: a jump host and three
#                 nodes on a private network of network namespaces, each with its own /etc
#   ansible.sh    ansible-core from PyPI (pip into .venv-ansible), for the stand-in kubespray
#   mlflow.sh     MLflow tracking servers (plain and basic-auth), pip into .venv
#   openstack.sh  Keystone, Placement, Glance, Neutron, Nova (fake driver), pip into .venv-openstack
#   postgres.sh   a PostgreSQL 15 cluster for the pg state backend (Debian's, on 127.0.0.1:25432)
#   s3.sh         an S3-compatible server (s3s-fs) for the s3 state backend, on 127.0.0.1:29000;
#                 the first install on a machine builds it with cargo install (~5 min on 2
#                 cores) into ~/.cache/ggplan-test, beside the other installs
#   kubernetes.sh etcd, kube-apiserver, kube-controller-manager (no kubelet), kubectl and helm;
#                 the first install on a machine builds the Kubernetes binaries (~15 min on 2
#                 cores) into ~/.cache/ggplan-test: that build runs beside the other services'
#                 installs and the workspace build, once its own apt-get is done
mkdir -p tests/support/.run
services_log=tests/support/.run/services.log
trap 'tests/support/mlflow.sh stop; tests/support/ssh.sh stop; tests/support/gourmetgram_nodes.sh stop; tests/support/openstack.sh stop; tests/support/postgres.sh stop; tests/support/s3.sh stop; tests/support/kubernetes.sh stop' EXIT
(
  set -e
  tests/support/kubernetes.sh packages
  tests/support/kubernetes.sh install &
  kubernetes_install=$!
  tests/support/s3.sh install &
  s3_install=$!
  tests/support/ssh.sh start
  tests/support/gourmetgram_nodes.sh start
  tests/support/ansible.sh install
  tests/support/mlflow.sh start
  tests/support/openstack.sh start
  tests/support/postgres.sh start
  wait "$s3_install"
  tests/support/s3.sh start
  wait "$kubernetes_install"
  tests/support/kubernetes.sh start
) >"$services_log" 2>&1 &
services=$!

cargo build --workspace --all-targets --locked

if ! wait "$services"; then
  echo "Starting the test services failed; their log:" >&2
  cat "$services_log" >&2
  exit 1
fi
export GGPLAN_TEST_SSH_DIR="$PWD/tests/support/.run/ssh"
export "$(tests/support/gourmetgram_nodes.sh env)" "$(tests/support/ansible.sh env)"
eval "$(tests/support/mlflow.sh env)"
eval "$(tests/support/openstack.sh env)"
eval "$(tests/support/postgres.sh env)"
eval "$(tests/support/s3.sh env)"
eval "$(tests/support/kubernetes.sh env)"
cargo test --workspace --locked "$@"
