#!/usr/bin/env bash
# Benchmarks of the release build on generated stacks of terraform_data (see docs/benchmarks.md).
#
#   scripts/bench.sh [--sizes "1000 10000"] [--runs 3] [--callgrind] [--ggplan BINARY]
#                    [--backend local|pg|s3]
#
# For each size N: generate a stack (scripts/gen_stack.py), then --runs times from an empty
# state: plan --refresh=false (all creates), apply --auto-approve, plan --refresh=false (no-op),
# plan (no-op, with refresh), destroy --auto-approve. Prints a Markdown table of the median
# wall time, the median CPU time (user + system) and the largest peak RSS of each step. --callgrind also counts the instructions of
# the no-op plan of the largest size (slow: valgrind runs it about 50 times slower). --ggplan
# measures that binary (one saved before a change) instead of building the release binary.
# --backend keeps the state in PostgreSQL or S3 instead of the local file, through a backend
# block written into the stack (a fresh schema or key for each run): pg needs PG_CONN_STR (or
# GGPLAN_TEST_PG_CONN_STR, as `tests/support/postgres.sh env` prints it), s3 the variables of
# `tests/support/s3.sh env` (the bucket `bench` is made in its data directory).
set -euo pipefail

sizes="1000 10000"
runs=3
callgrind=false
ggplan=""
backend=local
while [[ $# -gt 0 ]]; do
    case "$1" in
        --sizes) sizes="$2"; shift 2 ;;
        --runs) runs="$2"; shift 2 ;;
        --callgrind) callgrind=true; shift ;;
        --ggplan) ggplan="$2"; shift 2 ;;
        --backend) backend="$2"; shift 2 ;;
        *) echo "usage: $0 [--sizes \"1000 10000\"] [--runs 3] [--callgrind] [--ggplan BINARY] [--backend local|pg|s3]" >&2; exit 2 ;;
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

# use_backend STACK RUN: points STACK at a fresh state in $backend for run RUN; sets `where`
# to the arguments that name the state (--state for the local file, none for a block).
use_backend() {
    local stack="$1" run="$2"
    case "$backend" in
        local)
            where=(--state "$work/state-$run.json")
            rm -f "$work/state-$run.json"*
            ;;
        pg)
            export PG_CONN_STR="${PG_CONN_STR:-${GGPLAN_TEST_PG_CONN_STR:?pg needs PG_CONN_STR}}"
            printf 'terraform {\n  backend "pg" {\n    schema_name = "bench_%s_%s"\n  }\n}\n' \
                "$$" "$run" >"$stack/backend.tf"
            where=()
            ;;
        s3)
            mkdir -p "${GGPLAN_TEST_S3_DATA:?s3 needs the variables of tests/support/s3.sh env}/bench"
            export AWS_ACCESS_KEY_ID="$GGPLAN_TEST_S3_ACCESS_KEY"
            export AWS_SECRET_ACCESS_KEY="$GGPLAN_TEST_S3_SECRET_KEY"
            printf 'terraform {\n  backend "s3" {\n    bucket = "bench"\n    key = "%s/%s.tfstate"\n    region = "us-east-1"\n    endpoints = { s3 = "%s" }\n    use_path_style = true\n    use_lockfile = true\n  }\n}\n' \
                "$$" "$run" "$GGPLAN_TEST_S3_ENDPOINT" >"$stack/backend.tf"
            where=()
            ;;
        *) echo "bench: --backend is local, pg or s3" >&2; exit 2 ;;
    esac
}

echo "| N | step | wall (median of $runs) | CPU (median) | peak RSS (max) |"
echo "|---|---|---|---|---|"
for n in $sizes; do
    stack="$work/stack-$n"
    python3 "$root/scripts/gen_stack.py" --instances "$n" --out "$stack"
    : >"$work/times"
    for run in $(seq "$runs"); do
        use_backend "$stack" "$n-$run"
        measure "plan, empty state (creates)" plan "$stack" --refresh=false "${where[@]}"
        measure "apply" apply "$stack" --auto-approve "${where[@]}"
        measure "plan --refresh=false, full state (no-op)" plan "$stack" --refresh=false "${where[@]}"
        measure "plan with refresh, full state (no-op)" plan "$stack" "${where[@]}"
        measure "destroy" destroy "$stack" --auto-approve --refresh=false "${where[@]}"
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
