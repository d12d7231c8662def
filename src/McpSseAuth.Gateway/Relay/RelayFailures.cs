using McpSseAuth.Gateway.Backends;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace McpSseAuth.Gateway.Relay;

/// <summary>
/// What the client is told when the gateway cannot relay a request: a server that did not start or broke off, or a
/// stored token the user has yet to add. A tool call gets a tool result with <c>isError</c> (the model reads it and tells
/// the user); other requests get a JSON-RPC error. A missing token names the page to add it on, and a client that
/// supports URL elicitation (2025-11-25) is sent there directly (error -32042).
/// </summary>
internal static class RelayFailures
{
    public static CallToolResult? AsToolResult(Exception failure, FrontSession session, McpServer replyTo) => failure switch
    {
        UserTokenMissingException missing when !SupportsUrlElicitation(replyTo) => Error(WithPage(missing.Message, session)),
        BackendUnavailableException unavailable => Error(unavailable.Message),
        _ => null,
    };

    public static Exception? AsProtocolError(Exception failure, FrontSession session, McpServer replyTo) => failure switch
    {
        UserTokenMissingException missing when SupportsUrlElicitation(replyTo) && session.TokensPage is { } page => new UrlElicitationRequiredException(
            missing.Message,
            [new ElicitRequestParams { Mode = "url", ElicitationId = Guid.NewGuid().ToString("n"), Url = page, Message = WithPage(missing.Message, session) }]),
        UserTokenMissingException missing => new McpProtocolException(WithPage(missing.Message, session), McpErrorCode.InvalidRequest),
        BackendUnavailableException unavailable => new McpProtocolException(unavailable.Message, McpErrorCode.InternalError),
        _ => null,
    };

    private static bool SupportsUrlElicitation(McpServer replyTo) => replyTo.ClientCapabilities?.Elicitation?.Url is not null;

    private static string WithPage(string message, FrontSession session)
        => session.TokensPage is { } page ? $"{message} Add it at {page}, then try again." : message;   // "add" covers connecting, on the same page

    private static CallToolResult Error(string text) => new() { IsError = true, Content = [new TextContentBlock { Text = text }] };
}
