#!/bin/bash
# Fuzz the parsers with cargo-fuzz (libFuzzer), each target for SECONDS
# (default 120), and print the executions and findings of each.
#
#   bash scripts/fuzz.sh [SECONDS]
#
# Needs cargo-fuzz (installed here when missing) and a nightly toolchain;
# without one, the stable compiler is asked to accept the sanitizer flags
# (RUSTC_BOOTSTRAP=1).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-120}
command -v cargo-fuzz >/dev/null 2>&1 || cargo install --locked cargo-fuzz
toolchain=()
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    toolchain=(+nightly)
else
    export RUSTC_BOOTSTRAP=1
fi
cd "$here/fuzz"
for target in settings lcd_output names; do
    mkdir -p "corpus/$target"
    log=$(mktemp)
    cargo "${toolchain[@]}" fuzz run "$target" "corpus/$target" -- -max_total_time="$secs" >"$log" 2>&1 || {
        echo "$target: FINDING (see fuzz/artifacts/$target)"; tail -40 "$log"; exit 1; }
    runs=$(grep -o 'Done [0-9]* runs' "$log" | tail -n1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n1)
    echo "$target: $runs in $secs s, $cov, no finding"
    rm -f "$log"
done
