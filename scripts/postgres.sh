#!/usr/bin/env bash
# A throwaway PostgreSQL server for the test suite: scripts/postgres.sh start DIR | stop DIR.
# Installs Debian's postgresql first when no server binaries are present (needs root or sudo), creates a
# C-collation cluster in DIR with trust authentication, listening only on a Unix socket in DIR (so no
# TCP port can clash; connect with Host=DIR), and starts it. fsync is off: the cluster lives as long as
# one test run. As root, the server runs as the postgres user.
set -euo pipefail
action=${1:?usage: scripts/postgres.sh start DIR | stop DIR}
dir=${2:?data directory}

bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
as_owner() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

case "$action" in
  start)
    if [ -z "$(bindir)" ]; then
      sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
      $sudo apt-get update -qq
      DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >/dev/null
    fi
    bin=$(bindir)
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    as_owner "$bin/initdb" -D "$dir/data" -U postgres --locale=C -E UTF8 --auth=trust >/dev/null
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -o \
      "-k $dir -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" start >/dev/null
    ;;
  stop)
    bin=$(bindir)
    [ -d "$dir/data" ] && as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null || true
    rm -rf "$dir"
    ;;
  *)
    echo "usage: scripts/postgres.sh start DIR | stop DIR" >&2
    exit 2
    ;;
esac
