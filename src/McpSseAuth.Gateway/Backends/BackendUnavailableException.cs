using System.ComponentModel;
using System.Net;
using ModelContextProtocol.Client;

namespace McpSseAuth.Gateway.Backends;

/// <summary>
/// A server behind the gateway could not be used: it did not start, or its connection broke. The message is for the
/// user (a tool error names it); the cause is logged, never shown, as it may carry paths or addresses.
/// </summary>
internal sealed class BackendUnavailableException : Exception
{
    public BackendUnavailableException()
    {
    }

    public BackendUnavailableException(string message)
        : base(message)
    {
    }

    public BackendUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public static BackendUnavailableException CouldNotStart(BackendRoute backend, Exception cause)
    {
        var why = backend.Kind == BackendKind.Stdio
            ? cause is Win32Exception or FileNotFoundException || cause.InnerException is Win32Exception
                ? $"its command '{backend.Server.Command}' could not be run (not found, or not executable)"
                : "its process did not start and answer initialize"
            : "it could not be reached, or did not answer initialize";
        return new BackendUnavailableException($"The MCP server '{backend.Name}' is unavailable: {why}. Try again later, or tell the gateway's administrator.", cause);
    }

    /// <summary>
    /// The remote server answered 404 to the session's id (MCP Streamable HTTP, "Session Management"): it forgot the
    /// session, so the request was not handled and may be sent again on a new one.
    /// </summary>
    public bool SessionExpired { get; private init; }

    public static BackendUnavailableException Lost(BackendRoute backend, Exception cause) => new(
        $"The MCP server '{backend.Name}' stopped while handling the request. Try again: it is started anew.", cause)
    {
        SessionExpired = Chain(cause).Any(e => e is ClientTransportClosedException { Details: HttpClientCompletionDetails { HttpStatusCode: HttpStatusCode.NotFound } }
                                               or HttpRequestException { StatusCode: HttpStatusCode.NotFound }),
    };

    private static IEnumerable<Exception> Chain(Exception? exception)
    {
        for (; exception is not null; exception = exception.InnerException)
        {
            yield return exception;
        }
    }
}
