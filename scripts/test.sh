#!/usr/bin/env bash
# Runs every test of the repository on a fresh machine: installs what the tests need, then `dotnet test`.
# Ends with one line: "N passed, M failed".
set -euo pipefail
cd "$(dirname "$0")/.."

# The TypeScript SDK client used by the end-to-end tests, pinned by tests/e2e-ts/package-lock.json.
if ! command -v node >/dev/null 2>&1; then
  echo "Node.js not found: installing it with apt-get" >&2
  apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null
fi
(cd tests/e2e-ts && npm ci --no-audit --no-fund --loglevel=error)

results="artifacts/test-results"
rm -rf "$results"
status=0
dotnet test McpSseAuth.sln --configuration Release \
  --logger "trx" --logger "console;verbosity=minimal" \
  --results-directory "$results" || status=$?

passed=0
failed=0
shopt -s nullglob
for trx in "$results"/*.trx; do
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")
  f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  e=$(sed -n 's/.* error="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0} + ${e:-0}))
done

if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  failed=1   # the build or the test host failed before any result was written
fi
echo "$passed passed, $failed failed"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
