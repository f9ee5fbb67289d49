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
