#!/usr/bin/env bash
# Fuzzes what ggplan reads from outside (tests/fuzz.rs: stack files, expressions, the
# formatter, state files and journals, saved plans) for longer than the test command does.
# Usage: scripts/fuzz.sh [CASES]   (cases per target; default 20000, about 3 minutes on 2 cores)
# A failing input is kept in tests/fuzz.proptest-regressions: commit it with its fix.
set -euo pipefail
cd "$(dirname "$0")/.."
GGPLAN_FUZZ_CASES="${1:-20000}" cargo test --release --locked --test fuzz
