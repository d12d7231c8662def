namespace McpSseAuth.Hosting;

/// <summary>What the checks of the options groups share.</summary>
internal static class OptionChecks
{
    public static void Positive(List<string> failures, string name, TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
        {
            failures.Add($"McpOAuthOptions.{name} must be positive (got {value}).");
        }
    }
}
