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
internal sealed partial record McpMessage(JsonRpcMessage Rpc, JsonElement Json)
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
    public string? Parameter(string name) => TryParameter(name, out var value) ? value : null;

    /// <summary><see cref="Parameter"/>; false when the params cannot be read (a member named twice).</summary>
    public bool TryParameter(string name, out string? value)
    {
        value = null;
        try
        {
            if (Rpc is JsonRpcRequest { Params: JsonObject parameters } && parameters.TryGetPropertyValue(name, out var found)
                && found is JsonValue text && text.GetValueKind() == JsonValueKind.String)
            {
                value = text.GetValue<string>();
            }

            return true;
        }
        catch (ArgumentException)
        {
            return false;   // JsonObject refuses a member named twice
        }
    }

    /// <summary>
    /// <see cref="PeekAsync"/>, read at most once per request whoever asks (the scope guard to refuse, the caps to tell an
    /// <c>initialize</c>, the legacy guards always): kept in the request's features only once read.
    /// </summary>
    public static Task<McpMessage?> ReadOnceAsync(HttpContext context)
    {
        if (context.Features.Get<ReadMessage>() is { } read)
        {
            return read.Task;
        }

        var task = PeekAsync(context);
        context.Features.Set(new ReadMessage(task));
        return task;
    }

    private sealed record ReadMessage(Task<McpMessage?> Task);

    /// <summary>
    /// Reads the body as one JSON-RPC message and leaves it for the SDK; null when it is not one. In the request's pipe when
    /// its length is known and small (legacy SSE reads every message whole: no buffering stream and no copy then), else
    /// buffered and rewound.
    /// </summary>
    private static async Task<McpMessage?> PeekAsync(HttpContext context)
    {
        if (context.Request.ContentLength is { } length && length <= PipePeekBytes)
        {
            return await InPipeAsync(context, static body => Parse(body));
        }

        context.Request.EnableBuffering();
        try
        {
            using var document = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
            return FromDocument(document);
        }
        catch (Exception e) when (IsMalformed(e))
        {
            return null;
        }
        finally
        {
            context.Request.Body.Position = 0;
        }
    }

    private static McpMessage? Parse(System.Buffers.ReadOnlySequence<byte> body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            return FromDocument(document);
        }
        catch (Exception e) when (IsMalformed(e))
        {
            return null;
        }
    }

    private static McpMessage? FromDocument(JsonDocument document)
    {
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            return null;   // a batch or a scalar: the SDK answers it
        }

        var json = document.RootElement.Clone();
        return json.Deserialize(McpJsonUtilities.DefaultOptions.GetTypeInfo<JsonRpcMessage>()) is { } rpc ? new McpMessage(rpc, json) : null;
    }

    /// <summary>Not JSON-RPC: the SDK answers malformed messages itself.</summary>
    private static bool IsMalformed(Exception e) => e is JsonException or InvalidOperationException or FormatException;
}
