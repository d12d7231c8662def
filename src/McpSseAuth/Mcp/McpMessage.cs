using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;

namespace McpSseAuth.Mcp;

/// <summary>
/// One JSON-RPC message read from a request body with the SDK's own types (<see cref="JsonRpcMessage"/>, the SDK's
/// converter: <c>jsonrpc: "2.0"</c>, an id that is a string or an integer), and the JSON it came as, to hand on unchanged.
/// </summary>
internal sealed record McpMessage(JsonRpcMessage Rpc, JsonElement Json)
{
    /// <summary>The method of a request or notification; null for a response.</summary>
    public string? Method => Rpc switch
    {
        JsonRpcRequest request => request.Method,
        JsonRpcNotification notification => notification.Method,
        _ => null,
    };

    /// <summary>A request's id, which its answer carries; null for notifications and responses.</summary>
    public RequestId? RequestId => Rpc is JsonRpcRequest request ? request.Id : null;

    public bool IsInitialize => Method == RequestMethods.Initialize;

    /// <summary>The request a <c>notifications/cancelled</c> cancels; null for any other message.</summary>
    public RequestId? Cancels
    {
        get
        {
            if (Rpc is not JsonRpcNotification { Method: NotificationMethods.CancelledNotification, Params: JsonObject parameters })
            {
                return null;
            }

            try
            {
                return parameters.Deserialize(McpJsonUtilities.DefaultOptions.GetTypeInfo<CancelledNotificationParams>()) is { RequestId.Id: not null } cancelled
                    ? cancelled.RequestId
                    : null;
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
            {
                return null;
            }
        }
    }

    /// <summary>A request's string parameter (<c>name</c> of a tool or prompt, <c>uri</c> of a resource); null when absent.</summary>
    public string? Parameter(string name)
        => Rpc is JsonRpcRequest { Params: JsonObject parameters } && parameters.TryGetPropertyValue(name, out var value)
           && value is JsonValue text && text.GetValueKind() == JsonValueKind.String
            ? text.GetValue<string>()
            : null;

    /// <summary>Reads the body as one JSON-RPC message and rewinds it for the SDK; null when it is not one.</summary>
    public static async Task<McpMessage?> PeekAsync(HttpContext context)
    {
        context.Request.EnableBuffering();
        try
        {
            using var document = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return null;   // a batch or a scalar: the SDK answers it
            }

            var json = document.RootElement.Clone();
            return json.Deserialize(McpJsonUtilities.DefaultOptions.GetTypeInfo<JsonRpcMessage>()) is { } rpc ? new McpMessage(rpc, json) : null;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            return null;   // not JSON-RPC: the SDK answers malformed messages itself
        }
        finally
        {
            context.Request.Body.Position = 0;
        }
    }
}
