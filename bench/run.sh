#!/bin/bash
# The kit beside the AWS-CLI way, on the same local Route 53 endpoint, in
# one run: quickCheck and restore on zones of 10, 2,000 and 10,000 records
# (wall time, peak memory, API requests; median of several runs); the lag
# between INSYNC and restore's return, adaptive beside fixed; quickCheck
# beside the one-request floor (bench/floor.rs), in wall time and
# instructions, over http:// and HTTPS; a whole node failing over at once
# against an endpoint with the account's rate limit; a fleet's health
# checks against that limit (bench/fleet.py); and the Pacemaker agent
# beside aws-vpc-route53 (bench/agents.py). Writes BENCHMARKS.md.
#
#   bash bench/run.sh            # full run, writes BENCHMARKS.md
#   bash bench/run.sh --brief    # one quick pass (CI), writes target/BENCHMARKS-brief.md
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
source scripts/target.sh
# --ocf: Debian's resource-agents (aws-vpc-route53) unpacked, for the
# Pacemaker row.
bash scripts/ensure-tools.sh --ocf
if ! command -v aws >/dev/null 2>&1; then
    echo "installing the AWS CLI with pip" >&2
    python3 -m pip install --quiet --disable-pip-version-check awscli
    if command -v pyenv >/dev/null 2>&1; then pyenv rehash; fi
fi
# GNU time (peak memory), valgrind (instructions), openssl (the test CA of
# the HTTPS front).
missing=()
[ -x /usr/bin/time ] || missing+=(time)
command -v valgrind >/dev/null 2>&1 || missing+=(valgrind)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
# dig and curl, which aws-vpc-route53 calls; ip, for the namespace's loopback.
command -v dig >/dev/null 2>&1 || missing+=(bind9-dnsutils)
command -v curl >/dev/null 2>&1 || missing+=(curl)
command -v ip >/dev/null 2>&1 || missing+=(iproute2)
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing ${missing[*]} with apt-get" >&2
    (apt-get update -qq && apt-get install -y -qq "${missing[@]}") >/dev/null
fi
cargo build --release --locked --quiet
work=$(mktemp -d "${TMPDIR:-/tmp}/lkroute53-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
packaging/install-tree.sh "$work/root"
out=BENCHMARKS.md
[ "${1:-}" = "--brief" ] && out=target/BENCHMARKS-brief.md && mkdir -p target
python3 bench/bench.py --kit "$work/root" --work "$work" --out "$out" "$@"
echo "wrote $out"
