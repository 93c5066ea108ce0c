#!/usr/bin/env bash
# Installs bench/'s dependencies (`ws`, for the Node WebSocket reference server bench/ws-reference.mjs that
# ./run.sh bench runs beside the server) exactly as bench/package-lock.json pins them. Idempotent: does nothing
# when node_modules already matches the lock file.
set -euo pipefail
cd "$(dirname "$0")/../bench"
if ! command -v npm >/dev/null 2>&1; then
  echo "install-bench-tools: node and npm are needed (Debian: apt-get install -y nodejs npm)" >&2
  exit 1
fi
if [ -f node_modules/.package-lock.json ] && [ node_modules/.package-lock.json -nt package-lock.json ]; then
  exit 0
fi
npm ci --no-audit --no-fund --loglevel=error
