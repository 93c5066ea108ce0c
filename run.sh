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
    # Every test on SQLite, then again (all but the SQLite-file tests) on a throwaway PostgreSQL server
    # that scripts/postgres.sh installs and starts; RPC_TEST_SKIP_POSTGRES=1 skips that second run.
    scripts/install-browser.sh
    scripts/install-test-tools.sh
    scripts/install-js-bot.sh
    scripts/install-openrpc-tools.sh
    build
    status=0
    total_passed=0 total_failed=0 total_skipped=0
    suite() { # NAME, then dotnet test arguments
      local name=$1 log passed failed skipped
      shift
      log=$(mktemp)
      dotnet test rpc.sln -c Release --no-build --logger "console;verbosity=normal" "$@" 2>&1 | tee "$log" || status=1
      # Normal verbosity ends with "Total tests: N" and "Passed: N" / "Failed: N" / "Skipped: N" lines.
      count() { grep -E "^ +$1: +[0-9]+" "$log" | tail -n 1 | grep -oE '[0-9]+' || true; }
      passed=$(count Passed); failed=$(count Failed); skipped=$(count Skipped)
      # Repeated at the end so that a CI log's tail names the failures and their messages.
      if [ "${failed:-0}" != 0 ]; then
        echo "$name: the failed tests, with their messages:"
        grep -E -A 14 "^ +Failed [A-Za-z_]" "$log" | grep -vE "^ +(at |Passed )" | head -n 120 || true
      fi
      rm -f "$log"
      [ "${passed:-0}" -gt 0 ] || status=1
      echo "$name: ${passed:-0} passed, ${failed:-0} failed, ${skipped:-0} skipped"
      total_passed=$((total_passed + ${passed:-0})); total_failed=$((total_failed + ${failed:-0})); total_skipped=$((total_skipped + ${skipped:-0}))
    }
    suite SQLite "$@"
    if [ "${RPC_TEST_SKIP_POSTGRES:-0}" != 1 ]; then
      pgdir=$(mktemp -d)
      trap 'scripts/postgres.sh stop "$pgdir"' EXIT
      scripts/postgres.sh start "$pgdir"
      # The SQLite-file tests are left out, also from a --filter the caller gave.
      filter="TestCategory!=sqlite" rest=()
      while [ $# -gt 0 ]; do
        if [ "$1" = --filter ] && [ $# -gt 1 ]; then filter="($2)&$filter"; shift 2; else rest+=("$1"); shift; fi
      done
      RPC_TEST_POSTGRES="Host=$pgdir;Username=postgres;Database=postgres" suite PostgreSQL --filter "$filter" ${rest[@]+"${rest[@]}"}
    fi
    echo "$total_passed passed, $total_failed failed, $total_skipped skipped"
    exit "$status"
    ;;
  publish)
    # ./run.sh publish [DIR]: a framework-dependent build in DIR (default dist/) that runs with only the
    # .NET runtime: DIR/Rpc.Server (see deploy/rpc-server.service). Settings: DIR/appsettings.json.
    out=${1:-dist}
    build
    dotnet publish Rpc.Server/Rpc.Server.csproj -c Release --no-build --verbosity quiet -nologo -o "$out"
    echo "published to $out: start it with $out/Rpc.Server (needs the ASP.NET Core 10 runtime)"
    ;;
  manage)
    # Instance bootstrap against the configured database: make-staff, remove-staff, make-invite, list-staff,
    # backup PATH, restore PATH.
    build
    exec dotnet Rpc.Server/bin/Release/net10.0/Rpc.Server.dll manage "$@"
    ;;
  docs)
    # Regenerates methods.md from docs/methods.template.md (the prose) and the server's OpenRPC document
    # (the per-method reference and the error catalogue). MethodsDocumentTests fails when methods.md is stale.
    build
    dotnet Rpc.Server/bin/Release/net10.0/Rpc.Server.dll docs docs/methods.template.md methods.md
    ;;
  ws)
    # A small WebSocket client: ./run.sh ws [ws://127.0.0.1:8080/rpc] '{"jsonrpc":"2.0",...}' ... (or lines on stdin)
    build
    exec dotnet Rpc.Cli/bin/Release/net10.0/rpc-ws.dll "$@"
    ;;
  bench)
    # ./run.sh bench [--seconds N] [--users N] [--scale-users N | --no-scale] [--out PATH]: see README, "Benchmark".
    # ./run.sh bench gateway [--connections N] [--members-first]: the gateway rows, written to bench/gateway-results.md
    # ./run.sh bench postgres [--seconds N] [--users N]: the PostgreSQL rows, written to bench/postgres-results.md
    # ./run.sh bench abuse [--seconds N]: the rows under attack (issue #11), written to bench/abuse-results.md
    # ./run.sh bench cluster [--per-server N] [--members N] [--subscribers N] [--identify-concurrency N]: three servers
    # on a throwaway PostgreSQL (issue #17), written to bench/cluster-results.md
    # (Rpc.Bench's Program dispatches on the first argument). 10,000 WebSockets need that many descriptors.
    { [ "${1:-}" = gateway ] || [ "${1:-}" = cluster ]; } && { ulimit -n 40000 2>/dev/null || ulimit -n 20000 2>/dev/null || true; }
    # The WebSocket reference row runs Node's ws (bench/ws-reference.cjs) from the JavaScript client's packages.
    [ $# -eq 0 ] || [[ ${1:-} == --* ]] && scripts/install-js-bot.sh
    build
    mkdir -p bench
    exec dotnet Rpc.Bench/bin/Release/net10.0/Rpc.Bench.dll "$@"
    ;;
  *)
    echo "usage: ./run.sh [serve [--port N] [--db PATH] | test [dotnet test args] | docs | manage COMMAND [ARGS] [--db PATH] | publish [DIR] | ws [URL] [FRAME...] | bench [--no-scale] [--seconds N] | bench gateway [--connections N] | bench postgres | bench abuse | bench cluster [--per-server N] [--members N]]" >&2
    exit 2
    ;;
esac
