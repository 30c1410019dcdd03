#!/usr/bin/env bash
# Everything the real-n8n suites need on this machine, installed when missing (idempotent; seconds
# when all is there), so that `npm run test:all` works on a fresh machine by itself:
#   - Chromium, Redis, PostgreSQL from Debian (scripts/e2e-system-deps.sh; needs root when missing),
#   - the pinned n8n 2.x with its Node 24, and the tested n8n 1.x LTS on this machine's Node
#     (scripts/provision-n8n.sh, cached in ~/.cache/n8n-nodes-midjourney-edits).
# Provisioning runs here, before jest: a cold install takes 5-13 minutes per version on a busy
# machine, longer than a test hook should wait, and its progress is visible here.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '[e2e-prepare %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

bash scripts/e2e-system-deps.sh
say "n8n (pinned 2.x)..."
bash scripts/provision-n8n.sh >/dev/null
# The 1.x LTS of test/e2e/n8nVersions.ts (N8N_1X_VERSION there and here).
say "n8n ${N8N_1X_VERSION:-1.123.81} (1.x LTS)..."
N8N_VERSION="${N8N_1X_VERSION:-1.123.81}" bash scripts/provision-n8n.sh >/dev/null
say "ready"
