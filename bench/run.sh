#!/usr/bin/env bash
# Runs every benchmark of docs/benchmarks.md on this machine and writes bench/results/ and the charts in docs/benchmarks/.
#   bench/run.sh            the whole set (on 2 cores: about 30 minutes of load, then about 50 of BenchmarkDotNet)
#   bench/run.sh --quick    shorter windows and fewer sessions (about 8 minutes), to see that everything runs
# Needs the .NET SDK and Node.js/npm (for the two node authorization servers it compares against; the pinned node 22
# comes from bench/node/package-lock.json). Not a test: nothing passes or fails on time.
set -euo pipefail
cd "$(dirname "$0")/.."

quick=""
[ "${1:-}" = "--quick" ] && quick="--quick"

(cd bench/node && npm ci --no-audit --no-fund --loglevel=error)
(cd bench && dotnet tool restore >/dev/null)   # dotnet-gcdump, to read the servers' live heap
dotnet build bench/McpSseAuth.Benchmarks -c Release -nologo -v quiet
dotnet build bench/McpSseAuth.Benchmarks.Micro -c Release -nologo -v quiet

# Load: MCP traffic over both transports, many SSE sessions, authorization servers side by side
# (bench/results/results.json, results.md, results-charts/; with --quick: results-quick.*).
dotnet bench/McpSseAuth.Benchmarks/bin/Release/net10.0/McpSseAuth.Benchmarks.dll all $quick

# The gateway's relay overhead: through McpSseAuth.Gateway vs straight to the server, and vs supergateway over stdio
# (bench/results/gateway.md; with --quick: gateway-quick.*).
dotnet bench/McpSseAuth.Benchmarks/bin/Release/net10.0/McpSseAuth.Benchmarks.dll gateway $quick

# Several instances without sticky routing: tools/call through a round-robin balancer in front of two instances on one
# redis-server vs one instance (bench/results/instances.md; with --quick: instances-quick.*).
dotnet bench/McpSseAuth.Benchmarks/bin/Release/net10.0/McpSseAuth.Benchmarks.dll instances $quick

# Hot paths with BenchmarkDotNet, allocations included (bench/results/micro/results/; --quick: one pass each, a dry run, in micro-quick/).
job=()
if [ -n "$quick" ]; then
  job=(--job Dry)
  export MCPSSEAUTH_MICRO_RESULTS=bench/results/micro-quick   # a quick run leaves the full run's results alone
fi
dotnet bench/McpSseAuth.Benchmarks.Micro/bin/Release/net10.0/McpSseAuth.Benchmarks.Micro.dll --filter '*' "${job[@]}"
