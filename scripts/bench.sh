#!/usr/bin/env bash
# Benchmarks of the release build on generated stacks of terraform_data (see docs/benchmarks.md).
#
#   scripts/bench.sh [--sizes "1000 10000"] [--runs 3] [--callgrind] [--ggplan BINARY]
#
# For each size N: generate a stack (scripts/gen_stack.py), then --runs times from an empty
# state: plan --refresh=false (all creates), apply --auto-approve, plan --refresh=false (no-op),
# plan (no-op, with refresh), destroy --auto-approve. Prints a Markdown table of the median
# wall time, the median CPU time (user + system) and the largest peak RSS of each step. --callgrind also counts the instructions of
# the no-op plan of the largest size (slow: valgrind runs it about 50 times slower). --ggplan
# measures that binary (one saved before a change) instead of building the release binary.
set -euo pipefail

sizes="1000 10000"
runs=3
callgrind=false
ggplan=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        --sizes) sizes="$2"; shift 2 ;;
        --runs) runs="$2"; shift 2 ;;
        --callgrind) callgrind=true; shift ;;
        --ggplan) ggplan="$2"; shift 2 ;;
        *) echo "usage: $0 [--sizes \"1000 10000\"] [--runs 3] [--callgrind] [--ggplan BINARY]" >&2; exit 2 ;;
    esac
done

if [[ ! -x /usr/bin/time ]]; then
    echo "bench: /usr/bin/time is missing (Debian: apt-get install time)" >&2
    exit 1
fi

root="$(cd "$(dirname "$0")/.." && pwd)"
if [[ -z "$ggplan" ]]; then
    cargo build --release --quiet --manifest-path "$root/Cargo.toml" --bin ggplan
    ggplan="$root/target/release/ggplan"
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# measure NAME ARGS...: runs ggplan ARGS, appends "NAME seconds KiB cpu-seconds" to $work/times.
measure() {
    local name="$1"; shift
    if ! /usr/bin/time -o "$work/time" -f "%e %M %U %S" "$ggplan" "$@" >"$work/out" 2>&1; then
        echo "bench: ggplan $* failed:" >&2
        tail -20 "$work/out" >&2
        exit 1
    fi
    echo "$name $(awk '{ print $1, $2, $3 + $4 }' "$work/time")" >>"$work/times"
}

echo "| N | step | wall (median of $runs) | CPU (median) | peak RSS (max) |"
echo "|---|---|---|---|---|"
for n in $sizes; do
    stack="$work/stack-$n"
    python3 "$root/scripts/gen_stack.py" --instances "$n" --out "$stack"
    state="$work/state-$n.json"
    : >"$work/times"
    for _ in $(seq "$runs"); do
        rm -f "$state" "$state".*
        measure "plan, empty state (creates)" plan "$stack" --refresh=false --state "$state"
        measure "apply" apply "$stack" --auto-approve --state "$state"
        measure "plan --refresh=false, full state (no-op)" plan "$stack" --refresh=false --state "$state"
        measure "plan with refresh, full state (no-op)" plan "$stack" --state "$state"
        measure "destroy" destroy "$stack" --auto-approve --refresh=false --state "$state"
    done
    awk -v cpu=1 -v first="$(printf "%'d" "$n")" -f "$root/scripts/summarize_times.awk" "$work/times"
done

if $callgrind; then
    n="${sizes##* }"
    stack="$work/stack-$n"
    state="$work/state-$n.json"
    rm -f "$state" "$state".*
    "$ggplan" apply "$stack" --auto-approve --state "$state" >/dev/null
    valgrind --tool=callgrind --callgrind-out-file="$work/callgrind.out" \
        "$ggplan" plan "$stack" --refresh=false --state "$state" >/dev/null 2>"$work/valgrind"
    ir="$(grep -o 'Collected : [0-9]*' "$work/valgrind" | grep -o '[0-9]*$')"
    echo
    echo "callgrind, plan --refresh=false (no-op) of $n: $(printf "%'d" "$ir") instructions"
    echo "ggplan's most expensive functions (inclusive; callees counted in their callers):"
    callgrind_annotate --inclusive=yes "$work/callgrind.out" 2>/dev/null |
        grep -E "^ *[0-9,]+ " | grep -F " $root/" | grep -vE "$root/src/(cli/|main\.rs)" |
        sed -E "s# \\[[^]]*\\]\$##; s#$root/##" | sed -n '1,15p'
fi
