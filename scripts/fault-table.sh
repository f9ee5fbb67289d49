#!/bin/bash
# Measure the fault table of the README: run the fault and hostile-node
# tests one at a time and print, for each fault, the action's exit status,
# its duration, its peak memory (the kernel's largest resident size of the
# process, read by the tests' small Python wrapper) and the record
# afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/target.sh
bash scripts/ensure-tools.sh
export LKROUTE53_MEASURE_RSS=1
echo "| fault | verdict | took | peak memory | record afterwards |"
echo "|---|---|---|---|---|"
cargo test --locked --quiet --test integration -- --nocapture --test-threads=1 faults:: kit:: hostile:: wrong_node:: 2>/dev/null | grep -o '| [^|]* | [A-Za-z0-9]* exits [0-9]* | .*|$'
