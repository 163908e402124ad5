#!/usr/bin/env bash
# Real OpenSSH servers for the ssh provider's tests, on loopback only.
#
# Usage: tests/support/ssh.sh start|stop|env
#
#   jump   127.0.0.10:2222  the bastion; it runs in the network namespace ggplan-ssh-private,
#                           reached from here through a socat relay on 127.0.0.10:2222
#   node1  127.0.0.11:2222  reachable directly
#   node2  127.0.0.12:2222  reachable directly
#   node3  127.0.0.13:2222  inside ggplan-ssh-private: reachable ONLY through the jump host
#                           (nothing listens on 127.0.0.13 in the test's own namespace)
#   late   127.0.0.14:2222  not started here: tests start it (late_a.conf or late_b.conf, two
#                           host keys) to test late listeners and changed host keys
#
# Every server has its own host key, generated here (never committed). All of them share the
# machine's filesystem, so the tests keep each node's files under root/<node>/ of the run
# directory. Logins are as root with the generated client key (client_key); sudo is a no-op
# for root, but the tests still run sudo = true paths through the real sudo.
# Run directory: tests/support/.run/ssh (printed by `env` as GGPLAN_TEST_SSH_DIR).
set -euo pipefail
cd "$(dirname "$0")"
run="$PWD/.run/ssh"
ns=ggplan-ssh-private
port=2222

# shellcheck source=sshd.lib.sh
. ./sshd.lib.sh

start() {
  sshd_install
  stop
  sshd_prepare
  for name in jump node1 node2 node3 late_a late_b; do
    [ -f "$run/${name}_host_key" ] || ssh-keygen -q -t ed25519 -N '' -C "$name" -f "$run/${name}_host_key"
  done
  sshd_config jump 127.0.0.10 yes
  sshd_config node1 127.0.0.11 no
  sshd_config node2 127.0.0.12 no
  sshd_config node3 127.0.0.13 no
  sshd_config late_a 127.0.0.14 no
  sshd_config late_b 127.0.0.14 no
  # late_* share one pid file so a test can stop whichever runs.
  sed -i "s|^PidFile .*|PidFile $run/late.pid|" "$run/late_a.conf" "$run/late_b.conf"
  mkdir -p "$run/root/node1" "$run/root/node2" "$run/root/node3" "$run/root/late"

  ip netns add "$ns"
  ip netns exec "$ns" ip link set lo up
  /usr/sbin/sshd -f "$run/node1.conf" -E "$run/node1.log"
  /usr/sbin/sshd -f "$run/node2.conf" -E "$run/node2.log"
  ip netns exec "$ns" /usr/sbin/sshd -f "$run/jump.conf" -E "$run/jump.log"
  ip netns exec "$ns" /usr/sbin/sshd -f "$run/node3.conf" -E "$run/node3.log"
  # The relay: the jump host's port, from inside the namespace, on this side's loopback.
  setsid socat "TCP-LISTEN:$port,bind=127.0.0.10,reuseaddr,fork" \
    "EXEC:ip netns exec $ns socat STDIO TCP\:127.0.0.10\:$port" \
    </dev/null >"$run/relay.log" 2>&1 &
  echo $! >"$run/relay.pid"
  wait_port 127.0.0.11
  wait_port 127.0.0.12
  wait_port 127.0.0.13 "$ns"
  wait_port 127.0.0.10
  env_vars
}

stop_pid() { # pidfile
  if [ -f "$1" ]; then
    local pid
    pid=$(cat "$1")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    rm -f "$1"
  fi
}

stop() {
  for name in relay node1 node2 node3 jump late; do
    stop_pid "$run/$name.pid"
  done
  if ip netns list 2>/dev/null | grep -qw "$ns"; then
    ip netns delete "$ns"
  fi
}

env_vars() {
  echo "GGPLAN_TEST_SSH_DIR=$run"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  env) env_vars ;;
  *) echo "usage: $0 start|stop|env" >&2; exit 2 ;;
esac
