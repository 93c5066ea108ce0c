#!/usr/bin/env bash
# A throwaway nginx in front of a test server: scripts/nginx.sh start DIR PORT UPSTREAM_PORT SOURCE_ADDRESS | stop DIR.
# Installs Debian's nginx first when absent (scripts/install-test-tools.sh). Listens on 127.0.0.1:PORT and
# proxies to 127.0.0.1:UPSTREAM_PORT from SOURCE_ADDRESS (another loopback address, so the test can trust
# the proxy without trusting its own direct requests), with deploy/nginx/rpc-proxy.conf: the same proxy
# lines as the README's site, without TLS. Everything nginx writes stays in DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
action=${1:?usage: scripts/nginx.sh start DIR PORT UPSTREAM_PORT SOURCE_ADDRESS | stop DIR}
dir=${2:?directory}
case "$action" in
  start)
    port=${3:?port} upstream=${4:?upstream port} source=${5:?source address}
    scripts/install-test-tools.sh
    mkdir -p "$dir"
    cp deploy/nginx/rpc-proxy.conf "$dir/rpc-proxy.conf"
    user=""; [ "$(id -u)" = 0 ] && user="user nobody nogroup;"
    cat >"$dir/nginx.conf" <<CONF
$user
worker_processes 1;
daemon on;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 256; }
http {
    access_log $dir/access.log;
    client_body_temp_path $dir/body;
    proxy_temp_path $dir/proxy;
    fastcgi_temp_path $dir/fastcgi;
    uwsgi_temp_path $dir/uwsgi;
    scgi_temp_path $dir/scgi;
    map \$http_upgrade \$connection_upgrade {
        default upgrade;
        ''      '';
    }
    server {
        listen 127.0.0.1:$port;
        location / {
            proxy_pass http://127.0.0.1:$upstream;
            proxy_bind $source;
            include $dir/rpc-proxy.conf;
        }
    }
}
CONF
    /usr/sbin/nginx -p "$dir" -c "$dir/nginx.conf"
    ;;
  stop)
    if [ -f "$dir/nginx.pid" ]; then
      /usr/sbin/nginx -p "$dir" -c "$dir/nginx.conf" -s stop 2>/dev/null || kill "$(cat "$dir/nginx.pid")" 2>/dev/null || true
    fi
    ;;
  *)
    echo "usage: scripts/nginx.sh start DIR PORT UPSTREAM_PORT SOURCE_ADDRESS | stop DIR" >&2
    exit 2
    ;;
esac
