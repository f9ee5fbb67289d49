#!/bin/bash
# Install what the demo and the tests need where it is missing: moto's
# Route 53 server (with boto3, which the test helpers use).
set -euo pipefail
if ! command -v moto_server >/dev/null 2>&1 || ! python3 -c 'import boto3, moto' 2>/dev/null; then
    echo "installing moto[server] with pip" >&2
    python3 -m pip install --quiet --disable-pip-version-check 'moto[server]'
    # Under pyenv, new commands appear on PATH only after a rehash.
    if command -v pyenv >/dev/null 2>&1; then pyenv rehash; fi
fi
command -v moto_server >/dev/null

# With --ocf (the tests): Pacemaker's compliance suite, ocf-tester, from
# Debian's resource-agents package, unpacked (not installed: no cluster
# stack comes with it) into a cache outside the clone, and xmllint, with
# which it checks the meta-data.
if [ "${1:-}" = "--ocf" ]; then
    agents=${LKROUTE53_RESOURCE_AGENTS:-$HOME/.cache/lkroute53/resource-agents}
    if [ ! -x "$agents/usr/sbin/ocf-tester" ]; then
        echo "unpacking Debian's resource-agents (ocf-tester) into $agents" >&2
        command -v apt-get >/dev/null || { echo "ensure-tools.sh: ocf-tester comes from Debian's resource-agents package, and there is no apt-get here" >&2; exit 1; }
        scratch=$(mktemp -d)
        (cd "$scratch" && apt-get download resource-agents >/dev/null 2>&1) ||
            { apt-get update -qq && (cd "$scratch" && apt-get download resource-agents >/dev/null); }
        rm -rf "$agents" && mkdir -p "$agents"
        dpkg -x "$scratch"/resource-agents_*.deb "$agents"
        rm -rf "$scratch"
    fi
    if ! command -v xmllint >/dev/null 2>&1; then
        echo "installing xmllint (libxml2-utils) with apt-get" >&2
        apt-get install -y -qq libxml2-utils >/dev/null 2>&1 ||
            { apt-get update -qq && apt-get install -y -qq libxml2-utils >/dev/null; }
    fi
fi
