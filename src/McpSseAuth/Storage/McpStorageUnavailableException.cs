namespace McpSseAuth.Storage;

/// <summary>
/// Thrown by an <see cref="IMcpOAuthStorage"/> or <see cref="IMcpOAuthBus"/> whose backend cannot be reached (or did not
/// answer in time). McpSseAuth answers the request with 503 and a <c>Retry-After</c>, and goes on once the backend is back.
/// </summary>
public sealed class McpStorageUnavailableException : Exception
{
    /// <summary>Creates the exception.</summary>
    public McpStorageUnavailableException()
        : base("The storage of McpSseAuth cannot be reached.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What failed.</param>
    public McpStorageUnavailableException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the backend's own error.</summary>
    /// <param name="message">What failed.</param>
    /// <param name="innerException">The backend's error.</param>
    public McpStorageUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
