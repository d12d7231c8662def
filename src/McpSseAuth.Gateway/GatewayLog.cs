using Microsoft.Extensions.Logging;

namespace McpSseAuth.Gateway;

/// <summary>Every log message of the gateway, with stable event ids 2xxx; users by subject, never a token or a header value.</summary>
internal static partial class GatewayLog
{
    [LoggerMessage(2001, LogLevel.Information, "Connected to MCP server {Backend} for {Subject} (link {Link}).", EventName = "BackendConnected")]
    public static partial void BackendConnected(ILogger logger, string backend, string subject, string link);

    [LoggerMessage(2002, LogLevel.Information, "Closed the connection to MCP server {Backend} for {Subject} (link {Link}).", EventName = "BackendClosed")]
    public static partial void BackendClosed(ILogger logger, string backend, string subject, string link);

    [LoggerMessage(2003, LogLevel.Warning, "MCP server {Backend} for {Subject} ended on its own (link {Link}): {Reason}.", EventName = "BackendEnded")]
    public static partial void BackendEnded(ILogger logger, string backend, string subject, string link, string reason);

    [LoggerMessage(2004, LogLevel.Warning, "MCP server {Backend} for {Subject} failed during a request (link {Link}): {Error}. It is started anew on the next request.", EventName = "BackendFailed")]
    public static partial void BackendFailed(ILogger logger, string backend, string subject, string link, string error);

    [LoggerMessage(2005, LogLevel.Warning, "MCP server {Backend} could not be started or reached for {Subject}: {Error}", EventName = "BackendUnavailable")]
    public static partial void BackendUnavailable(ILogger logger, string backend, string subject, string error);

    [LoggerMessage(2006, LogLevel.Information, "[{Backend} for {Subject}] {Line}", EventName = "BackendStandardError")]
    public static partial void StandardError(ILogger logger, string backend, string subject, string line);

    [LoggerMessage(2007, LogLevel.Warning, "MCP server {Backend} for {Subject} wrote {Dropped} more lines to standard error in 10 seconds than the log takes; they were dropped.", EventName = "BackendStandardErrorDropped")]
    public static partial void StandardErrorDropped(ILogger logger, string backend, string subject, int dropped);

    [LoggerMessage(2008, LogLevel.Information, "Stopped the idle connection to MCP server {Backend} for {Subject}.", EventName = "BackendIdle")]
    public static partial void BackendIdle(ILogger logger, string backend, string subject);

    [LoggerMessage(2009, LogLevel.Warning, "{Subject} reached the limit of {Limit} MCP server processes; {Backend} was not started.", EventName = "ProcessLimitReached")]
    public static partial void ProcessLimitReached(ILogger logger, string subject, int limit, string backend);

    [LoggerMessage(2010, LogLevel.Warning, "The aggregated {Method} left out MCP server {Backend} for {Subject}: {Error}", EventName = "AggregatePartFailed")]
    public static partial void AggregatePartFailed(ILogger logger, string backend, string subject, string method, string error);

    [LoggerMessage(2011, LogLevel.Information, "MCP server {Backend} no longer knew the session of {Subject}: the request went on a new one.", EventName = "BackendSessionExpired")]
    public static partial void BackendSessionExpired(ILogger logger, string backend, string subject);
}
