#!/usr/bin/env bash
# One entry point for everything: ./run.sh (serve), ./run.sh test, ./run.sh bench, ./run.sh manage.
set -euo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

# ./run.sh --port 9000 … is ./run.sh serve --port 9000 …
if [ $# -eq 0 ] || [[ $1 == --* ]]; then
  command=serve
else
  command=$1
  shift
fi

build() {
  dotnet restore rpc.sln --verbosity quiet
  dotnet build rpc.sln -c Release --no-restore --verbosity quiet -nologo
}

case "$command" in
  serve)
    build
    mkdir -p data
    exec dotnet Rpc.Server/bin/Release/net10.0/Rpc.Server.dll "$@"
    ;;
  test)
    scripts/install-browser.sh
    build
    log=$(mktemp)
    status=0
    dotnet test rpc.sln -c Release --no-build --logger "console;verbosity=normal" "$@" 2>&1 | tee "$log" || status=$?
    # Normal verbosity ends with "Total tests: N" and "Passed: N" / "Failed: N" / "Skipped: N" lines.
    count() { grep -E "^ +$1: +[0-9]+" "$log" | tail -n 1 | grep -oE '[0-9]+' || true; }
    passed=$(count Passed); failed=$(count Failed); skipped=$(count Skipped)
    rm -f "$log"
    echo "${passed:-0} passed, ${failed:-0} failed, ${skipped:-0} skipped"
    [ "${passed:-0}" -gt 0 ] || status=1
    exit "$status"
    ;;
  manage)
    # Instance bootstrap against the configured database: make-staff, remove-staff, make-invite, list-staff.
    build
    exec dotnet Rpc.Server/bin/Release/net10.0/Rpc.Server.dll manage "$@"
    ;;
  ws)
    # A small WebSocket client: ./run.sh ws [ws://127.0.0.1:8080/rpc] '{"jsonrpc":"2.0",...}' ... (or lines on stdin)
    build
    exec dotnet Rpc.Cli/bin/Release/net10.0/rpc-ws.dll "$@"
    ;;
  bench)
    # ./run.sh bench [--seconds N] [--users N] [--scale-users N | --no-scale] [--out PATH]: see README, "Benchmark".
    # ./run.sh bench gateway [--connections N] [--members-first]: the gateway rows, written to bench/gateway-results.md
    # (Rpc.Bench's Program dispatches on the first argument). 10,000 WebSockets need that many descriptors.
    [ "${1:-}" = gateway ] && ulimit -n 20000 2>/dev/null || true
    build
    mkdir -p bench
    exec dotnet Rpc.Bench/bin/Release/net10.0/Rpc.Bench.dll "$@"
    ;;
  *)
    echo "usage: ./run.sh [serve [--port N] [--db PATH] | test [dotnet test args] | manage COMMAND [ARGS] [--db PATH] | ws [URL] [FRAME...] | bench [--no-scale] [--seconds N] | bench gateway [--connections N]]" >&2
    exit 2
    ;;
esac
