using Xunit.Abstractions;
using Xunit.Sdk;

namespace McpSseAuth.Tests.Infrastructure;

/// <summary>
/// What a test proves about one MCP client: the client (name and pinned version), the transports its data rows cover
/// (<c>streamable</c>, <c>sse</c>) and the features (<see cref="CompatibilityMatrix.Features"/>). docs/compatibility.md is
/// generated from these and the tests' results (scripts/compatibility.sh). <see cref="Gap"/>: the test proves the client
/// fails there for its own reasons (with <see cref="Link"/> to the client's issue), so the cell says so instead of ✓.
/// Such tests carry the trait <c>Category=Compatibility</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
[TraitDiscoverer("McpSseAuth.Tests.Infrastructure.CompatibilityTraitDiscoverer", "McpSseAuth.Tests")]
public sealed class CompatibilityAttribute(string client, string transports, string features) : Attribute, ITraitAttribute
{
    public string Client { get; } = client;

    public string[] Transports { get; } = transports.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    public string[] Features { get; } = features.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    /// <summary>A condition of the ✓, in a few words (e.g. "without a refresh token").</summary>
    public string? Note { get; init; }

    /// <summary>The client's own failure this test proves, in a few words.</summary>
    public string? Gap { get; init; }

    /// <summary>The client's issue (or pull request) about <see cref="Gap"/>; null when none was found, which the page says.</summary>
    public string? Link { get; init; }
}

/// <summary>Gives every <see cref="CompatibilityAttribute"/> test the trait <c>Category=Compatibility</c>.</summary>
public sealed class CompatibilityTraitDiscoverer : ITraitDiscoverer
{
    public IEnumerable<KeyValuePair<string, string>> GetTraits(IAttributeInfo traitAttribute) => [new("Category", "Compatibility")];
}
