using System.Net.Sockets;
using McpSseAuth.Storage;
using StackExchange.Redis;

namespace McpSseAuth.Redis;

/// <summary>
/// Turns "Redis cannot serve McpSseAuth now" into <see cref="McpStorageUnavailableException"/>, which McpSseAuth answers with
/// 503: unreachable, too slow, and every error reply of the server — loading, a replica after a failover, out of memory,
/// unable to persist, an ACL refusal — except the two that are bugs of McpSseAuth's own (a wrong type at a key, a malformed
/// command), which stay as they are.
/// </summary>
internal static class RedisFaults
{
    private static readonly string[] OwnBugs = ["WRONGTYPE", "ERR syntax", "ERR wrong number of arguments", "ERR unknown command"];

    public static async ValueTask<T> Run<T>(Func<Task<T>> operation, string what)
    {
        try
        {
            return await operation();
        }
        catch (Exception e) when (IsUnavailable(e))
        {
            throw Unavailable(what, e);
        }
    }

    public static async ValueTask Run(Func<Task> operation, string what)
    {
        try
        {
            await operation();
        }
        catch (Exception e) when (IsUnavailable(e))
        {
            throw Unavailable(what, e);
        }
    }

    public static bool IsUnavailable(Exception e) => e switch
    {
        RedisConnectionException or RedisTimeoutException or SocketException => true,
        RedisServerException server => !OwnBugs.Any(r => server.Message.StartsWith(r, StringComparison.Ordinal)),
        _ => false,
    };

    public static McpStorageUnavailableException Unavailable(string what, Exception e) => new(
        $"Redis did not answer McpSseAuth's {what} ({e.GetType().Name}: {FirstLine(e.Message)}). Check that Redis is running and reachable "
        + "with the configured connection string; McpSseAuth answers 503 until it is back, and reconnects by itself.",
        e);

    // StackExchange.Redis appends long diagnostics after the first line; they stay in the inner exception.
    private static string FirstLine(string message)
    {
        var end = message.IndexOfAny(['\r', '\n']);
        var line = end < 0 ? message : message[..end];
        return line.Length > 200 ? line[..200] + "…" : line;
    }
}
