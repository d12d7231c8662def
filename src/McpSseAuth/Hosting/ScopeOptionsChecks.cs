namespace McpSseAuth.Hosting;

/// <summary>The <c>Scopes</c> group: valid scope tokens, and defaults among the supported ones.</summary>
internal static class ScopeOptionsChecks
{
    public static void Check(McpOAuthScopeOptions scopes, List<string> failures)
    {
        if (scopes.Supported.Count == 0)
        {
            failures.Add("McpOAuthOptions.Scopes.Supported is empty: keep at least the default scope 'mcp:tools'.");
        }

        foreach (var scope in scopes.Supported)
        {
            // RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
            if (scope.Name.Length == 0 || scope.Name.Any(c => c < 0x21 || c == 0x22 || c == 0x5C || c > 0x7E))
            {
                failures.Add($"The scope '{scope.Name}' is not a valid scope token (RFC 6749 §3.3): use printable ASCII without spaces, quotes or backslashes.");
            }
            else if (string.IsNullOrWhiteSpace(scope.Description))
            {
                failures.Add($"The scope '{scope.Name}' in McpOAuthOptions.Scopes.Supported has no Description: write the words the consent page shows for it.");
            }
        }

        if (scopes.Default.Count == 0)
        {
            failures.Add("McpOAuthOptions.Scopes.Default is empty: name the scopes granted when a client asks for none.");
        }

        foreach (var scope in scopes.Default.Where(s => !scopes.IsSupported(s)))
        {
            failures.Add($"The default scope '{scope}' is not in McpOAuthOptions.Scopes.Supported: add it there with a description.");
        }
    }
}
