using McpSseAuth.Tests.Infrastructure;

namespace McpSseAuth.Tests.Docs;

/// <summary>
/// docs/compatibility.md is the matrix of the tests marked <see cref="CompatibilityAttribute"/>. scripts/compatibility.sh
/// runs those tests, then this one with MCPSSEAUTH_COMPATIBILITY_RESULTS naming their TRX file: the page is written from
/// their outcomes. Without it (CI, where every test must pass), the page must be what all of them passing gives.
/// </summary>
public sealed class CompatibilityMatrixTests
{
    private static string PagePath => Path.Combine(Repository.Root, "docs", "compatibility.md");

    [Fact]
    public void ThePage_IsTheMatrixOfTheCompatibilityTests()
    {
        var entries = CompatibilityMatrix.Entries(typeof(CompatibilityMatrixTests).Assembly);
        Assert.NotEmpty(entries);
        if (Environment.GetEnvironmentVariable("MCPSSEAUTH_COMPATIBILITY_RESULTS") is { Length: > 0 } trx)
        {
            File.WriteAllText(PagePath, CompatibilityMatrix.Render(entries, CompatibilityMatrix.OutcomesFrom(trx)));
            return;
        }

        var expected = CompatibilityMatrix.Render(entries, _ => true);
        Assert.True(File.Exists(PagePath) && File.ReadAllText(PagePath) == expected,
            "docs/compatibility.md is not the matrix of the [Compatibility] tests: run scripts/compatibility.sh.\n\n" + expected);
    }

    [Fact]
    public void EveryClaim_NamesKnownTransportsAndFeatures_AndEveryLinkIsTheClientsGitHub()
    {
        foreach (var entry in CompatibilityMatrix.Entries(typeof(CompatibilityMatrixTests).Assembly))
        {
            Assert.All(entry.Claim.Transports, t => Assert.Contains(t, CompatibilityMatrix.Transports.Select(x => x.Key)));
            Assert.All(entry.Claim.Features, f => Assert.Contains(f, CompatibilityMatrix.Features.Select(x => x.Key)));
            Assert.True(entry.Claim.Link is null || (entry.Claim.Gap is not null && entry.Claim.Link.StartsWith("https://github.com/", StringComparison.Ordinal)), entry.Test);
        }
    }
}
