namespace McpSseAuth;

/// <summary>Adders for the lists of <see cref="McpOAuthOptions"/> that take care of what an entry needs.</summary>
public sealed partial class McpOAuthOptions
{
    /// <summary>Adds a service whose API token users may store on the service-tokens page.</summary>
    /// <param name="name">The name tools ask for, e.g. <c>github</c>: letters, digits, <c>-</c>, <c>_</c> and <c>.</c>.</param>
    /// <param name="displayName">The name shown on the page.</param>
    /// <param name="description">What the token is used for, shown on the page.</param>
    /// <returns>These options, for chaining.</returns>
    public McpOAuthOptions AddServiceToken(string name, string displayName, string? description = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(displayName);
        ServiceTokens.Add(new McpServiceTokenDefinition { Name = name, DisplayName = displayName, Description = description });
        return this;
    }

    /// <summary>Adds a local user whose password is hashed here; suitable for development and tests.</summary>
    /// <param name="userName">The name typed on the login page; also the token subject.</param>
    /// <param name="password">The password in clear text; only its hash is kept.</param>
    /// <returns>These options, for chaining.</returns>
    public McpOAuthOptions AddUser(string userName, string password)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(userName);
        ArgumentException.ThrowIfNullOrEmpty(password);
        Users.Add(new McpOAuthUser { UserName = userName, PasswordHash = LocalUserPasswords.Hash(userName, password) });
        return this;
    }
}
