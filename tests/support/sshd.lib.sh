# What the scripts that start test OpenSSH servers share (sourced by ssh.sh and
# gourmetgram_nodes.sh, which set $run, the run directory, and $port).

# sshd_install: OpenSSH (server and client), sudo, socat and iproute2, from Debian when any
# is missing.
sshd_install() {
  if [ -x /usr/sbin/sshd ] && command -v ssh >/dev/null && command -v sudo >/dev/null \
    && command -v socat >/dev/null && command -v ip >/dev/null; then
    return
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssh-server openssh-client sudo \
    socat iproute2 >/dev/null
}

# sshd_prepare: the run directory without old logs, and the client key every server trusts.
sshd_prepare() {
  mkdir -p "$run" /run/sshd
  rm -f "$run"/*.log
  [ -f "$run/client_key" ] || ssh-keygen -q -t ed25519 -N '' -C ggplan-test -f "$run/client_key"
  cp "$run/client_key.pub" "$run/authorized_keys"
}

# sshd_config NAME LISTEN_ADDRESS TCP_FORWARDING: $run/NAME.conf, a root-only server with the
# generated host key NAME_host_key and the client key of $run/authorized_keys.
sshd_config() {
  cat >"$run/$1.conf" <<CONF
Port $port
ListenAddress $2
HostKey $run/$1_host_key
PidFile $run/$1.pid
AuthorizedKeysFile $run/authorized_keys
StrictModes no
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
AllowTcpForwarding $3
X11Forwarding no
Subsystem sftp internal-sftp
MaxStartups 200
MaxSessions 20
LogLevel VERBOSE
CONF
}

# wait_port ADDRESS [NETNS]: until something listens on ADDRESS:$port (seen from NETNS).
wait_port() {
  local i
  for i in $(seq 1 50); do
    if ${2:+ip netns exec "$2"} bash -c "exec 3<>/dev/tcp/$1/$port" 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  echo "sshd on $1:$port did not start; see $run/*.log" >&2
  return 1
}
