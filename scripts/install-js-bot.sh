#!/usr/bin/env bash
# Installs the JavaScript client's dependencies (clients/js: @open-rpc/client-js, which brings `ws`) exactly as
# its package-lock.json pins them; examples/js-bot runs on that client, and the test that runs the bot against a
# live server (Rpc.Tests/Gateway/JsBotTests.cs) needs them. Idempotent: does nothing when node_modules already
# matches the lock file.
set -euo pipefail
cd "$(dirname "$0")/../clients/js"
if ! command -v npm >/dev/null 2>&1; then
  echo "install-js-bot: node and npm are needed (Debian: apt-get install -y nodejs npm)" >&2
  exit 1
fi
if [ -f node_modules/.package-lock.json ] && [ node_modules/.package-lock.json -nt package-lock.json ]; then
  exit 0
fi
npm ci --no-audit --no-fund --loglevel=error
