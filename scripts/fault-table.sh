#!/bin/bash
# Measure the fault table of the README: run the fault tests one at a time
# and print, for each fault, the action's exit status, its duration and the
# record afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/lkroute53/target}
bash scripts/ensure-tools.sh
echo "| fault | verdict | took | record afterwards |"
echo "|---|---|---|---|"
cargo test --locked --quiet --test faults --test kit -- --nocapture --test-threads=1 2>/dev/null | grep -o '| [^|]* | [A-Za-z]* exits [0-9]* | .*|$'
