using Microsoft.AspNetCore.Http;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;

namespace McpSseAuth.Http;

/// <summary>Every JSON-RPC error this library answers on an MCP endpoint, written with the SDK's <see cref="JsonRpcError"/>.</summary>
internal static class JsonRpcErrors
{
    /// <summary>
    /// Answers the error with <paramref name="status"/>; <paramref name="id"/> is the request's, or the default (JSON
    /// <c>null</c>) when it is unknown or the message was not a request.
    /// </summary>
    public static Task RefuseAsync(HttpResponse response, int status, McpErrorCode code, string message, RequestId id, CancellationToken cancellationToken)
    {
        response.StatusCode = status;
        response.ContentType = "application/json";
        return response.Body.WriteAsync(RpcError(code, message, id), cancellationToken).AsTask();
    }

    /// <summary>The error as JSON bytes, for an answer carried elsewhere (a relayed message's).</summary>
    public static byte[] RpcError(McpErrorCode code, string message, RequestId id = default)
        => System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(
            new JsonRpcError { Id = id, Error = new JsonRpcErrorDetail { Code = (int)code, Message = message } },
            McpJsonUtilities.DefaultOptions.GetTypeInfo<JsonRpcError>());
}
