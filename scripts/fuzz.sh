#!/usr/bin/env bash
# The fuzz targets (fuzz/, cargo-fuzz + libFuzzer on the nightly toolchain), one at a time at
# the lowest priority (the machine is shared):
#
#   bash scripts/fuzz.sh [SECONDS] [RUNS]   each target for SECONDS (default 60) or RUNS
#                                           executions, whichever comes first
#
# New inputs go to a scratch directory, not to the committed corpus (fuzz/corpus/<target>,
# small; minimise with `cargo +nightly fuzz cmin`). A crash stops the script; its input is in
# fuzz/artifacts/<target>/: copy it to fuzz/regressions/<target>/ with the fix, and
# tests/it/fuzz_replay.rs replays it in every `cargo test`.
#
# The fuzz build (the server's whole dependency tree, nightly, sanitizer coverage) lives outside
# the checkout like the tools do, so a clean clone (CI) recompiles only the workspace's own
# crates: FRONTDESK_FUZZ_TARGET, default ~/.cache/frontdesk/fuzz-target.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
SECS=${1:-60}
RUNS=${2:-0}
TARGETS=(visitor_frames agent_request reception_query card faq_file sniff)
TARGET_DIR=${FRONTDESK_FUZZ_TARGET:-${XDG_CACHE_HOME:-$HOME/.cache}/frontdesk/fuzz-target}
mkdir -p "$TARGET_DIR"
nice -n 19 cargo +nightly fuzz build -O --target-dir "$TARGET_DIR" 2>&1 | tail -n 3
for t in "${TARGETS[@]}"; do
    scratch=$(mktemp -d)
    log=$(mktemp)
    args=(-max_total_time="$SECS" -print_final_stats=1)
    [ "$RUNS" != 0 ] && args+=(-runs="$RUNS")
    if ! nice -n 19 cargo +nightly fuzz run -O --target-dir "$TARGET_DIR" "$t" "$scratch" "corpus/$t" -- "${args[@]}" >"$log" 2>&1; then
        tail -n 40 "$log"
        echo "fuzz: $t FAILED (input in fuzz/artifacts/$t/)"
        exit 1
    fi
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
    secs=$(grep -o 'Done [0-9]* runs in [0-9]* second' "$log" | grep -o 'in [0-9]*' | grep -o '[0-9]*' || echo "$SECS")
    echo "fuzz: $t ok: $execs executions in ${secs:-$SECS} s, no crash"
    rm -rf "$scratch" "$log"
done
