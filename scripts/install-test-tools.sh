#!/usr/bin/env bash
# Installs the Debian packages the operations tests drive: nginx (the reverse-proxy test,
# Rpc.Tests/Operations/ReverseProxyTests.cs), prometheus, for its `promtool check metrics`
# (Rpc.Tests/Operations/MetricsTests.cs), and fail2ban, for `fail2ban-regex` on README's filter
# (Rpc.Tests/Operations/TelemetryTests.cs). Idempotent: does nothing when the binaries are there.
# No package's service is started: a policy-rc.d refuses it during the install, so nothing
# listens on port 80 or 9090 and nothing bans afterwards; the tests start their own nginx on a free port.
set -euo pipefail
missing=()
[ -x /usr/sbin/nginx ] || missing+=(nginx)
[ -x /usr/bin/promtool ] || missing+=(prometheus)
[ -x /usr/bin/fail2ban-regex ] || missing+=(fail2ban)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    exec sudo -n "$0" "$@"
  fi
  echo "install-test-tools: ${missing[*]} missing; run as root: apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
policy=/usr/sbin/policy-rc.d
own_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod +x "$policy"
  own_policy=1
fi
trap '[ "$own_policy" = 1 ] && rm -f "$policy"' EXIT
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Nor enabled at boot: these are test tools, not services of this machine (works without a running systemd).
for package in "${missing[@]}"; do
  systemctl disable --quiet "$package" 2>/dev/null || true
done
echo "install-test-tools: installed ${missing[*]}"
