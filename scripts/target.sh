# Sourced by every script that builds the kit: the target folder, and a
# build of this checkout in it.
#
# One target folder outside the clone serves every checkout of the kit, so
# that the AWS SDK is built once. Cargo tells whether the kit's own crate
# is built by the times of its files, named relative to the checkout, not
# by which checkout they are in: a checkout whose files are older than a
# build made from another checkout (a second clone, a worktree) would link
# that build, and its tests and benchmark would run another checkout's
# code. Touching the crate's roots makes cargo compile this checkout's
# crate and tests once more (about a minute); the dependencies stay built.
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/lkroute53/target}
checkout=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
touch "$checkout/src/lib.rs" "$checkout/src/main.rs" "$checkout/tests/integration/main.rs"
unset checkout
