namespace McpSseAuth.Grants;

/// <summary>How a token names its grant.</summary>
internal static class GrantClaims
{
    /// <summary>The grant a token belongs to (a private claim): revoking the grant ends its access tokens at once.</summary>
    public const string GrantId = "gid";
}
