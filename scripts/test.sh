#!/usr/bin/env bash
# The one command that installs what the tests need and runs them all (CI runs exactly this).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
npm run typecheck --silent
npm run lint --silent
report="$(mktemp)"
trap 'rm -f "$report"' EXIT
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@" || status=$?
# One closing line any CI can read, whatever vitest printed above it.
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
' "$report" || true
exit "$status"
