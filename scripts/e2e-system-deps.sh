#!/usr/bin/env bash
# Installs the system programs the real-n8n suites start for themselves: Chromium at /usr/bin/chromium
# (the editor test drives n8n's editor in it), Redis (n8n's job queue in queue mode) and PostgreSQL
# (the database n8n's main, workers and webhook process share in queue mode).
# Debian packages only; nothing is started or enabled as a service: the queue suite runs its own
# private Redis and PostgreSQL on free loopback ports in temp folders and removes them afterwards.
# Idempotent: does nothing (and needs no root) when both are already installed.
# Exit code 0 when both are usable afterwards; otherwise 1 with the reason on stderr.
set -euo pipefail

say() { printf '[e2e-system-deps %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

postgres_bin_dir() {
  # Debian installs PostgreSQL's server programs per major version, outside PATH.
  local dir
  dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
  if [ -n "$dir" ] && [ -x "$dir/initdb" ] && [ -x "$dir/postgres" ] && [ -x "$dir/createdb" ] && [ -x "$dir/psql" ]; then
    echo "$dir"
  fi
}

missing=()
# The editor test starts exactly this binary (Debian's; `npx playwright install` cannot download one here).
# (Its fonts are only "recommended", and recommends are not installed here.)
[ -x /usr/bin/chromium ] || missing+=(chromium fonts-liberation)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
[ -n "$(postgres_bin_dir)" ] || missing+=(postgresql)

if [ "${#missing[@]}" -eq 0 ]; then
  say "already installed: Chromium, $(redis-server --version | cut -d' ' -f1-3), PostgreSQL in $(postgres_bin_dir)"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  say "FAILED: ${missing[*]} missing and this is not root. Install them with:"
  say "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}"
  say "(or run this as root: bash scripts/e2e-system-deps.sh)"
  exit 1
fi
command -v apt-get >/dev/null 2>&1 || { say "FAILED: ${missing[*]} missing and there is no apt-get (Debian/Ubuntu): install them with your package manager"; exit 1; }

say "installing ${missing[*]} from Debian (one time, 1-3 minutes)..."
# Keep the packages' own services from starting (the suite runs private instances); restore
# whatever policy the machine had afterwards.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod +x "$policy"
  created_policy=1
fi
cleanup() { if [ "$created_policy" = 1 ]; then rm -f "$policy"; fi; }
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
# Other installs (a parallel CI step) may hold the dpkg lock: wait for it rather than fail.
apt-get -o DPkg::Lock::Timeout=600 update -qq >&2 || { say "FAILED: apt-get update"; exit 1; }
apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >&2 ||
  { say "FAILED: apt-get install ${missing[*]}"; exit 1; }

[ -x /usr/bin/chromium ] || { say "FAILED: /usr/bin/chromium is still missing"; exit 1; }
command -v redis-server >/dev/null 2>&1 || { say "FAILED: redis-server is still missing"; exit 1; }
[ -n "$(postgres_bin_dir)" ] || { say "FAILED: PostgreSQL's initdb/postgres/createdb/psql are still missing"; exit 1; }
say "installed: Chromium, $(redis-server --version | cut -d' ' -f1-3), PostgreSQL in $(postgres_bin_dir)"
