#!/usr/bin/env bash
# Writes docs/compatibility.md from a run of the client compatibility tests (those marked [Compatibility]): runs them,
# then the page's test with their results, which writes the page. Needs what scripts/test.sh installs (run it once).
set -euo pipefail
cd "$(dirname "$0")/.."

results="$(pwd)/artifacts/compatibility"
rm -rf "$results"
dotnet build tests/McpSseAuth.Tests --configuration Release --nologo -v quiet
# The clients' tests: their outcomes go to the page, failures included (the page then shows them as ✗).
dotnet test tests/McpSseAuth.Tests --configuration Release --no-build --filter "Category=Compatibility" \
  --logger "trx;LogFileName=compatibility.trx" --results-directory "$results" || true
MCPSSEAUTH_COMPATIBILITY_RESULTS="$results/compatibility.trx" \
  dotnet test tests/McpSseAuth.Tests --configuration Release --no-build \
  --filter "FullyQualifiedName~CompatibilityMatrixTests.ThePage_IsTheMatrixOfTheCompatibilityTests" --logger "console;verbosity=minimal"
echo "docs/compatibility.md written from $(grep -c '<UnitTestResult ' "$results/compatibility.trx") test results"
