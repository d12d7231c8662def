namespace McpSseAuth.Hosting;

/// <summary>What the checks of the options groups share.</summary>
internal static class OptionChecks
{
    /// <summary>Adds a failure when a time span is not positive; <paramref name="name"/> is the setting's path, e.g. <c>Tokens.AccessTokenLifetime</c>.</summary>
    public static void Positive(List<string> failures, string name, TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
        {
            failures.Add($"McpOAuthOptions.{name} must be positive (got {value}).");
        }
    }
}
