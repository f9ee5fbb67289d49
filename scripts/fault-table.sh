#!/bin/bash
# Measure the fault table of the README: run the fault and hostile-node
# tests one at a time and print, for each fault, the action's exit status,
# its duration, its peak memory (GNU time) and the record afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/lkroute53/target}
bash scripts/ensure-tools.sh
if [ ! -x /usr/bin/time ]; then
    echo "installing GNU time with apt-get" >&2
    (apt-get update -qq && apt-get install -y -qq time) >/dev/null
fi
export LKROUTE53_MEASURE_RSS=1
echo "| fault | verdict | took | peak memory | record afterwards |"
echo "|---|---|---|---|---|"
cargo test --locked --quiet --test integration -- --nocapture --test-threads=1 faults:: kit:: hostile:: 2>/dev/null | grep -o '| [^|]* | [A-Za-z]* exits [0-9]* | .*|$'
