#!/usr/bin/env bash
# Benchmark of the kubernetes provider against kubectl on the same objects (see
# docs/benchmarks.md): N ConfigMaps over M namespaces, written once as a ggplan stack of
# kubernetes_manifest resources and once as the YAML a kubectl user applies.
#
#   scripts/bench_kubernetes.sh [--configmaps 200] [--namespaces 10] [--runs 3]
#
# Needs the control plane of tests/support/kubernetes.sh (started here when it is not running;
# the first start on a machine builds it, ~15 min). For each run, from an empty cluster:
#   ggplan apply (creates)        kubectl apply --server-side (creates)
#   ggplan plan (no-op, refresh)  kubectl diff --server-side (no change)
#   ggplan apply (no-op)          kubectl apply --server-side (again, no change)
#   ggplan destroy                kubectl delete --wait --ignore-not-found (until all is gone)
# Prints a Markdown table of the median wall time and the largest peak RSS of each step, then
# the number of API requests one no-op plan of each tool makes (from the API server's metrics).
# ggplan's ConfigMaps depend on their namespace (a reference), as kubectl's YAML lists the
# namespaces first; both tools use their default parallelism.
set -euo pipefail

configmaps=200
namespaces=10
runs=3
while [[ $# -gt 0 ]]; do
    case "$1" in
        --configmaps) configmaps="$2"; shift 2 ;;
        --namespaces) namespaces="$2"; shift 2 ;;
        --runs) runs="$2"; shift 2 ;;
        *) echo "usage: $0 [--configmaps 200] [--namespaces 10] [--runs 3]" >&2; exit 2 ;;
    esac
done

if [[ ! -x /usr/bin/time ]]; then
    echo "bench: /usr/bin/time is missing (Debian: apt-get install time)" >&2
    exit 1
fi

root="$(cd "$(dirname "$0")/.." && pwd)"
cargo build --release --quiet --manifest-path "$root/Cargo.toml" --bin ggplan
ggplan="$root/target/release/ggplan"
"$root/tests/support/kubernetes.sh" start
eval "$("$root/tests/support/kubernetes.sh" env)"
kubectl="$GGPLAN_TEST_KUBECTL"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export HOME="$work/home" KUBECONFIG="$GGPLAN_TEST_KUBECONFIG"
mkdir -p "$HOME"

# The same objects twice: stack/main.tf for ggplan, objects.yaml for kubectl. Names carry a
# run-independent prefix so that an interrupted run's leftovers are found by the next cleanup.
python3 - "$configmaps" "$namespaces" "$work" "$GGPLAN_TEST_KUBECONFIG" <<'EOF'
import pathlib, sys
configmaps, namespaces, work, kubeconfig = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
stack = pathlib.Path(work, "stack")
stack.mkdir()
tf = [f'provider "kubernetes" {{\n  config_path = "{kubeconfig}"\n}}\n']
yaml = []
for n in range(namespaces):
    tf.append(f'''resource "kubernetes_manifest" "ns{n}" {{
  manifest = {{
    apiVersion = "v1"
    kind       = "Namespace"
    metadata   = {{ name = "bench-ns{n}" }}
  }}
}}
''')
    yaml.append(f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: bench-ns{n}\n")
for c in range(configmaps):
    n = c % namespaces
    tf.append(f'''resource "kubernetes_manifest" "cm{c}" {{
  manifest = {{
    apiVersion = "v1"
    kind       = "ConfigMap"
    metadata = {{
      name      = "cm{c}"
      namespace = kubernetes_manifest.ns{n}.manifest.metadata.name
      labels    = {{ app = "gourmetgram", index = "{c}" }}
    }}
    data = {{ "settings.yaml" = "model: GourmetGramFood11Model\\nreplicas: {c % 3 + 1}\\n" }}
  }}
}}
''')
    yaml.append(f"""apiVersion: v1
kind: ConfigMap
metadata:
  name: cm{c}
  namespace: bench-ns{n}
  labels: {{app: gourmetgram, index: "{c}"}}
data:
  settings.yaml: "model: GourmetGramFood11Model\\nreplicas: {c % 3 + 1}\\n"
""")
(stack / "main.tf").write_text("\n".join(tf))
pathlib.Path(work, "objects.yaml").write_text("---\n".join(yaml))
EOF

# measure NAME OK_CODES COMMAND...: runs COMMAND, appends "NAME seconds KiB" to $work/times.
# kubectl diff exits 1 when it finds differences: OK_CODES says which exit codes are success.
measure() {
    local name="$1" ok="$2"; shift 2
    local code=0
    /usr/bin/time -o "$work/time" -f "%e %M" "$@" >"$work/out" 2>&1 || code=$?
    if [[ " $ok " != *" $code "* ]]; then
        echo "bench: $* exited $code:" >&2
        tail -20 "$work/out" >&2
        exit 1
    fi
    echo "$name $(tail -1 "$work/time")" >>"$work/times"
}

cleanup() {
    "$kubectl" delete namespace $(seq -f "bench-ns%g" 0 $((namespaces - 1))) \
        --ignore-not-found --wait >/dev/null
}

# requests: the API server's count of the requests it served so far, but the controller
# manager's lease renewals (every 2 s, whatever the tools do) and the /metrics reads themselves.
requests() {
    "$kubectl" get --raw /metrics |
        awk '/^apiserver_request_total/ && !/resource="leases"/ && !/subresource="\/metrics"/ { n += $NF }
             END { printf "%d\n", n }'
}

# requests_of NAME COMMAND...: how many requests COMMAND made (no other client runs meanwhile).
requests_of() {
    local name="$1"; shift
    local before after
    before="$(requests)"
    "$@" >"$work/out" 2>&1 || true
    after="$(requests)"
    echo "| $name | $((after - before)) |"
}

state="$work/state.json"
yaml="$work/objects.yaml"
: >"$work/times"
cleanup
for _ in $(seq "$runs"); do
    rm -f "$state" "$state".*
    measure "ggplan apply (creates)" 0 "$ggplan" apply "$work/stack" --auto-approve --state "$state"
    measure "ggplan plan (no-op, with refresh)" 0 "$ggplan" plan "$work/stack" --state "$state"
    measure "ggplan apply (no-op)" 0 "$ggplan" apply "$work/stack" --auto-approve --state "$state"
    measure "ggplan destroy" 0 "$ggplan" destroy "$work/stack" --auto-approve --state "$state"
    measure "kubectl apply --server-side (creates)" 0 "$kubectl" apply --server-side -f "$yaml"
    measure "kubectl diff --server-side (no change)" 0 "$kubectl" diff --server-side -f "$yaml"
    measure "kubectl apply --server-side (no change)" 0 "$kubectl" apply --server-side -f "$yaml"
    measure "kubectl delete --wait" 0 "$kubectl" delete --wait --ignore-not-found -f "$yaml"
done

echo "| $configmaps ConfigMaps in $namespaces namespaces | wall (median of $runs) | peak RSS (max) |"
echo "|---|---|---|"
awk -f "$root/scripts/summarize_times.awk" "$work/times"

# API requests of one no-op plan each, on the objects applied once more.
rm -f "$state" "$state".*
"$ggplan" apply "$work/stack" --auto-approve --state "$state" >/dev/null
echo
echo "| no-op plan of the same objects | API requests |"
echo "|---|---|"
requests_of "ggplan plan (with refresh)" "$ggplan" plan "$work/stack" --state "$state"
requests_of "kubectl diff --server-side" "$kubectl" diff --server-side -f "$yaml"
"$ggplan" destroy "$work/stack" --auto-approve --state "$state" >/dev/null
