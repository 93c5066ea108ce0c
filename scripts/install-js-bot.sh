#!/usr/bin/env bash
# Installs examples/js-bot's dependencies (the `ws` package) exactly as package-lock.json pins them,
# for the test that runs the bot against a live server (Rpc.Tests/Gateway/JsBotTests.cs).
# Idempotent: does nothing when node_modules already matches the lock file.
set -euo pipefail
cd "$(dirname "$0")/../examples/js-bot"
if ! command -v npm >/dev/null 2>&1; then
  echo "install-js-bot: node and npm are needed (Debian: apt-get install -y nodejs npm)" >&2
  exit 1
fi
if [ -f node_modules/.package-lock.json ] && [ node_modules/.package-lock.json -nt package-lock.json ]; then
  exit 0
fi
npm ci --no-audit --no-fund --loglevel=error
