using BenchmarkDotNet.Attributes;
using McpSseAuth.Authorization;
using McpSseAuth.Grants;

namespace McpSseAuth.Benchmarks.Micro;

/// <summary>
/// PKCE (RFC 7636, S256) as the authorization and token endpoints run it: checking a code_challenge's form on every
/// authorization request, and verifying the code_verifier against it (SHA-256, constant-time compare) on every code
/// redemption. Small next to the signing and validation costs; measured so a regression would show.
/// </summary>
public class PkceBenchmarks
{
    // RFC 7636 Appendix B's example pair.
    private const string Verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    private const string Challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    [GlobalSetup]
    public void Setup()
    {
        if (!Pkce.Verify(Verifier, Challenge) || !Pkce.IsValidChallenge(Challenge))
        {
            throw new InvalidOperationException("The RFC 7636 example pair does not verify: the benchmark would measure a failure.");
        }
    }

    [Benchmark(Baseline = true, Description = "Pkce.Verify S256")]
    public bool Verify() => Pkce.Verify(Verifier, Challenge);

    [Benchmark(Description = "Pkce.IsValidChallenge")]
    public bool IsValidChallenge() => Pkce.IsValidChallenge(Challenge);
}
