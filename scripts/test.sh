#!/usr/bin/env bash
# The one command that installs what the tests need and runs them all (CI runs exactly this).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
npm run typecheck --silent
npm run lint --silent
npx vitest run "$@"
