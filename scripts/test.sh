#!/usr/bin/env bash
# Runs every test of the repository on a fresh machine: installs what the tests need, then `dotnet test`.
# Ends with one line: "N passed, M failed".
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the tests use: Chromium for the browser tests (driven by Playwright), Node.js for the TypeScript client,
# redis-server for the Redis storage tests (each test class starts its own on loopback), PostgreSQL for the Entity Framework
# Core storage tests (one server per run, started by the tests on loopback).
missing=()
[ -x /usr/lib/chromium/chromium ] || [ -x /usr/bin/chromium ] || missing+=(chromium)
command -v node >/dev/null 2>&1 || missing+=(nodejs npm)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null || missing+=(postgresql)
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing ${missing[*]} with apt-get" >&2
  sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# Pinned by tests/e2e-ts/package-lock.json: the TypeScript SDK client, oidc-provider, the MCP conformance suite and Node 22 for it.
(cd tests/e2e-ts && npm ci --no-audit --no-fund --loglevel=error)
# Pinned by bench/node/package-lock.json: the two node authorization servers the benchmarks compare against (smoke-run by the tests).
(cd bench/node && npm ci --no-audit --no-fund --loglevel=error)

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
