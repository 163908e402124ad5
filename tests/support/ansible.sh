#!/usr/bin/env bash
# A real ansible-playbook (ansible-core from PyPI) for the whole-stack test, which runs it as
# kubespray is run. Installed once into .venv-ansible at the top of the work tree.
#
# Usage: tests/support/ansible.sh install|env
set -euo pipefail
cd "$(dirname "$0")"
venv="$(cd ../.. && pwd)/.venv-ansible"
version=2.17.7

install() {
  if [ -x "$venv/bin/ansible-playbook" ] && "$venv/bin/ansible-playbook" --version | grep -q "core $version"; then
    return
  fi
  echo "ansible.sh: pip installing ansible-core==$version into $venv (about 20 s)"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "ansible-core==$version"
}

env_vars() {
  echo "GGPLAN_TEST_ANSIBLE_BIN=$venv/bin"
}

case "${1:-}" in
  install) install ;;
  env) env_vars ;;
  *) echo "usage: $0 install|env" >&2; exit 2 ;;
esac
