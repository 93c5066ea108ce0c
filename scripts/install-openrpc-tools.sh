#!/usr/bin/env bash
# Installs tools/openrpc's dependencies (@open-rpc/meta-schema, schema-utils-js, test-coverage) exactly as
# package-lock.json pins them, for the test that checks the server's OpenRPC document with them against a
# live server (Rpc.Tests/Docs/OpenRpcToolingTests.cs). Idempotent: does nothing when node_modules
# already matches the lock file.
set -euo pipefail
cd "$(dirname "$0")/../tools/openrpc"
if ! command -v npm >/dev/null 2>&1; then
  echo "install-openrpc-tools: node and npm are needed (Debian: apt-get install -y nodejs npm)" >&2
  exit 1
fi
if [ -f node_modules/.package-lock.json ] && [ node_modules/.package-lock.json -nt package-lock.json ]; then
  exit 0
fi
npm ci --no-audit --no-fund --loglevel=error
