#!/usr/bin/env bash
# Sets everything up and runs the lab as a demo: a loopback registry and Git remote, imagectl's
# commands as a Flux user types them, the commit it pushes. Cleans up after itself.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
exec node --import tsx scripts/demo.ts
