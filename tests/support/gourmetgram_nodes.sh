#!/usr/bin/env bash
# Stand-ins for the GourmetGram servers, for the whole-stack test (tests/gourmetgram_e2e.rs):
# three nodes and a jump host as the seed has them, each an OpenSSH server in its own network
# namespace, on loopback-only links of this machine.
#
# Usage: tests/support/gourmetgram_nodes.sh start|stop|env
#
#   jump   10.255.91.2:2223   node1's floating IP: the one address reachable from here (a
#                             veth link from this namespace), on the private network too
#   node1  192.168.1.11:2223  the private network 192.168.1.0/24 (a bridge in the jump
#   node2  192.168.1.12:2223  host's namespace), reachable only through the jump host, as on
#   node3  192.168.1.13:2223  the cloud; each node also has ens3, its "sharednet1" interface
#                             (10.56.0.1N/24, inside the local OpenStack's sharednet1
#                             subnet 10.56.0.0/22; no route anywhere)
#
# What a VM has and these do not is stood in for, inside each node's own mount namespace:
#   /etc  an overlay on this machine's /etc (writes stay with the node, in memory), so
#         /etc/docker/daemon.json, /etc/sysctl.d, /etc/systemd/network and
#         /etc/kubernetes/admin.conf are the node's own
#   /usr/local/sbin (first in PATH) the stand-in tools of gourmetgram/node-tools: systemctl,
#         sysctl, networkctl, dockerd, usermod and id answer as on a VM and record every call
#         in /etc/stand-in/calls.log (no systemd, no Docker, no kernel setting is touched)
# Logins are as root with the generated client key. Run directory: tests/support/.run/gg-nodes.
set -euo pipefail
cd "$(dirname "$0")"
support="$PWD"
run="$PWD/.run/gg-nodes"
port=2223
nodes=(node1 node2 node3)

# shellcheck source=sshd.lib.sh
. ./sshd.lib.sh

# A node's namespace: its private link to the bridge, its "sharednet1" interface, then its
# sshd with the node's own /etc and tools.
node() { # name index
  local ns="gg-$1" address="192.168.1.1$2"
  ip netns add "$ns"
  ip netns exec "$ns" ip link set lo up
  ip link add "gg-$1-lan" type veth peer name ens4 netns "$ns"
  ip link set "gg-$1-lan" netns gg-jump
  ip netns exec gg-jump ip link set "gg-$1-lan" master gg-lan up
  ip netns exec "$ns" ip addr add "$address/24" dev ens4
  ip netns exec "$ns" ip link set ens4 up
  # (No dummy interfaces in this kernel: a veth pair whose other end stays in the node.)
  ip netns exec "$ns" ip link add ens3 type veth peer name ens3-peer
  ip netns exec "$ns" ip addr add "10.56.0.1$2/24" dev ens3
  ip netns exec "$ns" ip link set ens3 up
  mkdir -p "$run/$1"
  # `ip netns exec` gives the command its own mount namespace: the mounts stay there.
  ip netns exec "$ns" sh -c "
    mount -t tmpfs tmpfs '$run/$1' &&
    mkdir -p '$run/$1/upper' '$run/$1/work' &&
    mount -t overlay overlay -o 'lowerdir=/etc,upperdir=$run/$1/upper,workdir=$run/$1/work' /etc &&
    mount --bind '$support/gourmetgram/node-tools' /usr/local/sbin &&
    mkdir -p /etc/stand-in && : > /etc/stand-in/calls.log &&
    exec /usr/sbin/sshd -f '$run/$1.conf' -E '$run/$1.log'"
}

start() {
  sshd_install
  stop
  sshd_prepare
  for name in jump "${nodes[@]}"; do
    ssh-keygen -q -t ed25519 -N '' -C "$name" -f "$run/${name}_host_key" <<<y >/dev/null
    sshd_config "$name" 0.0.0.0 "$([ "$name" = jump ] && echo yes || echo no)"
  done
  ip netns add gg-jump
  ip netns exec gg-jump ip link set lo up
  ip netns exec gg-jump ip link add gg-lan type bridge
  ip netns exec gg-jump ip addr add 192.168.1.254/24 dev gg-lan
  ip netns exec gg-jump ip link set gg-lan up
  ip link add gg-uplink type veth peer name eth0 netns gg-jump
  ip addr add 10.255.91.1/30 dev gg-uplink
  ip link set gg-uplink up
  ip netns exec gg-jump ip addr add 10.255.91.2/30 dev eth0
  ip netns exec gg-jump ip link set eth0 up
  ip netns exec gg-jump /usr/sbin/sshd -f "$run/jump.conf" -E "$run/jump.log"
  local i=1
  for name in "${nodes[@]}"; do
    node "$name" "$i"
    i=$((i + 1))
  done
  wait_port 10.255.91.2
  for i in 1 2 3; do
    wait_port "192.168.1.1$i" gg-jump
  done
  env_vars
}

stop() {
  local name pid
  for name in jump "${nodes[@]}"; do
    if [ -f "$run/$name.pid" ]; then
      pid=$(cat "$run/$name.pid")
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      rm -f "$run/$name.pid"
    fi
  done
  for name in "${nodes[@]}" jump; do
    if ip netns list 2>/dev/null | grep -qw "gg-$name"; then
      ip netns delete "gg-$name"
    fi
  done
  ip link delete gg-uplink 2>/dev/null || true
}

env_vars() {
  echo "GGPLAN_TEST_GG_NODES_DIR=$run"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  env) env_vars ;;
  *) echo "usage: $0 start|stop|env" >&2; exit 2 ;;
esac
