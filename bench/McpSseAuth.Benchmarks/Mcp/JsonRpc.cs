using System.Globalization;
using System.Text;
using System.Text.Json;

namespace McpSseAuth.Benchmarks.Mcp;

/// <summary>The few JSON-RPC messages the driver sends, and the check of an answer.</summary>
internal static class JsonRpc
{
    public const string ProtocolVersion = "2025-06-18";

    public const string Initialized = """{"jsonrpc":"2.0","method":"notifications/initialized"}""";

    private const string InitializeTemplate =
        """{"jsonrpc":"2.0","id":ID,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"mcpsseauth-bench","version":"1.0"}}}""";

    private const string CallEchoTemplate =
        """{"jsonrpc":"2.0","id":ID,"method":"tools/call","params":{"name":"echo","arguments":{"message":"hello"}}}""";

    public static string Initialize(long id) => InitializeTemplate.Replace("ID", id.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);

    /// <summary><c>tools/call</c> of the sample's <c>echo</c> tool.</summary>
    public static string CallEcho(long id) => CallEchoTemplate.Replace("ID", id.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);

    public static StringContent Content(string json) => new(json, Encoding.UTF8, "application/json");

    /// <summary>The id of an answer, or null for a notification or request from the server.</summary>
    public static long? AnswerId(string json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        return root.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.Number && !root.TryGetProperty("method", out _)
            ? id.GetInt64()
            : null;
    }

    /// <summary>Throws unless <paramref name="json"/> is a successful answer to <paramref name="id"/> (for tools, not <c>isError</c>).</summary>
    public static void EnsureSuccess(string json, long id)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        if (!root.TryGetProperty("id", out var answerId) || answerId.GetInt64() != id)
        {
            throw new InvalidOperationException($"Expected the answer to request {id}, got: {Shorten(json)}");
        }

        if (root.TryGetProperty("error", out _) || !root.TryGetProperty("result", out var result))
        {
            throw new InvalidOperationException($"Request {id} failed: {Shorten(json)}");
        }

        if (result.TryGetProperty("isError", out var isError) && isError.ValueKind == JsonValueKind.True)
        {
            throw new InvalidOperationException($"Tool call {id} returned an error: {Shorten(json)}");
        }
    }

    public static string Shorten(string text) => text.Length <= 300 ? text : text[..300] + "...";
}
