#!/usr/bin/env bash
# One entry point for everything: ./run.sh (serve), ./run.sh test, ./run.sh bench, ./run.sh manage.
set -euo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

command=${1:-serve}
[ $# -gt 0 ] && shift

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
    build
    log=$(mktemp)
    status=0
    dotnet test rpc.sln -c Release --no-build --logger "console;verbosity=normal" "$@" 2>&1 | tee "$log" || status=$?
    summary=$(grep -E '^(Passed|Failed)!' "$log" | tail -n 1 || true)
    passed=$(sed -nE 's/.*Passed: *([0-9]+).*/\1/p' <<<"$summary")
    failed=$(sed -nE 's/.*Failed: *([0-9]+),.*/\1/p' <<<"$summary")
    skipped=$(sed -nE 's/.*Skipped: *([0-9]+).*/\1/p' <<<"$summary")
    rm -f "$log"
    echo "${passed:-0} passed, ${failed:-0} failed, ${skipped:-0} skipped"
    [ "${passed:-0}" -gt 0 ] || status=1
    exit "$status"
    ;;
  ws)
    # A small WebSocket client: ./run.sh ws [ws://127.0.0.1:8080/rpc] '{"jsonrpc":"2.0",...}' ... (or lines on stdin)
    build
    exec dotnet Rpc.Cli/bin/Release/net10.0/rpc-ws.dll "$@"
    ;;
  *)
    echo "usage: ./run.sh [serve [--port N] [--db PATH] | test [dotnet test args] | ws [URL] [FRAME...]]" >&2
    exit 2
    ;;
esac
