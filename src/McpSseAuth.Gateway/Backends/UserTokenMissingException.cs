namespace McpSseAuth.Gateway.Backends;

/// <summary>A server needs the user's stored token (<see cref="McpGatewayServer.UserToken"/>) and the user has stored none.</summary>
internal sealed class UserTokenMissingException : Exception
{
    public UserTokenMissingException()
    {
    }

    public UserTokenMissingException(string message)
        : base(message)
    {
    }

    public UserTokenMissingException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public UserTokenMissingException(BackendRoute backend, string service, string displayName, bool connected = false)
        : base(connected
            ? $"The MCP server '{backend.Name}' needs your {displayName} account, and it is not connected (or the connection stopped working)."
            : $"The MCP server '{backend.Name}' needs your {displayName} token, and you have not stored one.")
    {
        Backend = backend;
        Service = service;
    }

    public BackendRoute? Backend { get; }

    /// <summary>The service the token is stored under.</summary>
    public string? Service { get; }
}
