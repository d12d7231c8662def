using StackExchange.Redis;

namespace McpSseAuth.Redis;

/// <summary>How McpSseAuth keeps its state in Redis (<c>services.AddMcpOAuthRedis(...)</c>).</summary>
public sealed class McpRedisOptions
{
    // The defaults, named in validation messages.
    internal const string DefaultKeyPrefix = "mcp-oauth:";

    internal const string DefaultApplicationName = "McpSseAuth";

    /// <summary>
    /// Starts every Redis key and pub/sub channel McpSseAuth uses, so it can share a Redis with other applications, or
    /// with other McpSseAuth servers under another prefix. Every instance of one server must use the same. Default
    /// <c>mcp-oauth:</c>.
    /// </summary>
    public string KeyPrefix { get; set; } = DefaultKeyPrefix;

    /// <summary>
    /// The Data Protection application name (<c>SetApplicationName</c>): instances protect and unprotect cookies and stored
    /// secrets for each other only when they share it. Default <c>McpSseAuth</c>. Used when
    /// <see cref="PersistDataProtectionKeys"/> is true.
    /// </summary>
    public string ApplicationName { get; set; } = DefaultApplicationName;

    /// <summary>
    /// Keeps the Data Protection key ring in Redis at <c>{KeyPrefix}dataprotection-keys</c> (with the framework's
    /// <c>Microsoft.AspNetCore.DataProtection.StackExchangeRedis</c>) and sets <see cref="ApplicationName"/>, so every
    /// instance reads what another protected. Default true; set false when the application configures Data Protection
    /// itself — it must then share keys and application name across instances some other way.
    /// </summary>
    public bool PersistDataProtectionKeys { get; set; } = true;

    /// <summary>
    /// Returns the application's own multiplexer instead of McpSseAuth connecting with the configuration string (which is
    /// then ignored). Called once, on first use; McpSseAuth does not dispose what it returns. Give it
    /// <c>AbortOnConnectFail = false</c> and timeouts of a few seconds, or requests hang while Redis is down instead of
    /// getting 503.
    /// </summary>
    public Func<IServiceProvider, IConnectionMultiplexer>? ConnectionFactory { get; set; }
}
