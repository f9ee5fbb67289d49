#!/bin/bash
# The test command: installs what the tests need where it is missing (moto),
# then lints and runs every test (unit tests, and integration tests that run
# the installed kit against moto_server and a simulated LifeKeeper cluster).
#
#   bash scripts/test.sh
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
source scripts/target.sh
bash scripts/ensure-tools.sh --ocf
cargo fmt --check
cargo clippy --locked --all-targets -- -D warnings
# Most integration tests wait on their programs, moto and timeouts rather
# than on the processor: four at a time keep both cores of a small build
# machine busy.
cargo test --locked -- --test-threads 4
