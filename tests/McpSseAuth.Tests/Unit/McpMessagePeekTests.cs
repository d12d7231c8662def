using System.Text;
using McpSseAuth.Mcp;
using Microsoft.AspNetCore.Http;

namespace McpSseAuth.Tests.Unit;

/// <summary>
/// The scope decision reads only a request's method and target, without building the message; whatever could make that
/// reading differ from the SDK's (a name given twice, in another letter case, a body that is not one object) is "unclear",
/// so the decision falls back to the SDK's own reading of the message.
/// </summary>
public sealed class McpMessagePeekTests
{
    private static async Task<(PeekTarget Peeked, string Rewound)> PeekAsync(string json)
    {
        // Both ways of reading agree: without a length (buffered), and with one (in the request's pipe, read in segments).
        var buffered = await PeekAsync(json, withLength: false);
        var piped = await PeekAsync(json, withLength: true);
        Assert.Equal(buffered, piped);
        return buffered;
    }

    private static async Task<(PeekTarget Peeked, string Rewound)> PeekAsync(string json, bool withLength)
    {
        var context = new DefaultHttpContext();
        var bytes = Encoding.UTF8.GetBytes(json);
        context.Request.Body = new TrickleStream(bytes);
        context.Request.ContentLength = withLength ? bytes.Length : null;
        var peeked = await McpMessage.PeekTargetAsync(context);
        using var reader = new StreamReader(context.Request.Body);
        return (peeked, await reader.ReadToEndAsync());
    }

    [Theory]
    [InlineData(10)]
    [InlineData(60 * 1024)]
    [InlineData(70 * 1024)]
    public async Task A_long_message_arriving_in_pieces_is_read_for_its_target_and_rewound_whole(int argumentLength)
    {
        var json = """{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"arguments":{"message":""" + "\"" + new string('x', argumentLength) + "\"" + """},"name":"server_stats"}}""";

        var (peeked, rewound) = await PeekAsync(json);

        Assert.Equal(new PeekTarget(true, "tools/call", "server_stats"), peeked);
        Assert.Equal(json, rewound);
    }

    [Theory]
    [InlineData(true, true)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(false, false)]
    public async Task The_whole_message_and_the_target_read_in_either_order_agree_and_leave_the_body_whole(bool withLength, bool wholeFirst)
    {
        // Legacy SSE reads every message whole (in the pipe when its length is known), and the scope guard peeks again.
        var json = """{"jsonrpc":"2.0","id":"r-1","method":"tools/call","params":{"name":"server_stats","arguments":{"message":""" + "\"" + new string('x', 3000) + "\"" + """}}}""";
        var context = new DefaultHttpContext();
        var bytes = Encoding.UTF8.GetBytes(json);
        context.Request.Body = new TrickleStream(bytes);
        context.Request.ContentLength = withLength ? bytes.Length : null;

        McpMessage? message;
        PeekTarget peeked;
        if (wholeFirst)
        {
            message = await McpMessage.ReadOnceAsync(context);
            peeked = await McpMessage.PeekTargetAsync(context);
        }
        else
        {
            peeked = await McpMessage.PeekTargetAsync(context);
            message = await McpMessage.ReadOnceAsync(context);
        }

        Assert.Equal(new PeekTarget(true, "tools/call", "server_stats"), peeked);
        Assert.Equal("r-1", message?.RequestId?.ToString());
        Assert.Equal("server_stats", message!.Parameter("name"));
        using var reader = new StreamReader(context.Request.Body);
        Assert.Equal(json, await reader.ReadToEndAsync());
    }

    [Theory]
    [InlineData("""[{"jsonrpc":"2.0","id":1,"method":"ping"}]""")]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":""")]
    [InlineData("""{"jsonrpc":"1.0","id":1,"method":"ping"}""")]
    public async Task A_body_that_is_not_one_message_read_whole_in_the_pipe_is_none_and_left_whole(string json)
    {
        var context = new DefaultHttpContext();
        var bytes = Encoding.UTF8.GetBytes(json);
        context.Request.Body = new TrickleStream(bytes);
        context.Request.ContentLength = bytes.Length;

        Assert.Null(await McpMessage.ReadOnceAsync(context));
        using var reader = new StreamReader(context.Request.Body);
        Assert.Equal(json, await reader.ReadToEndAsync());
    }

    /// <summary>A body that arrives a few hundred bytes at a time, as from a socket.</summary>
    private sealed class TrickleStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, 700));

        public override int Read(Span<byte> buffer) => base.Read(buffer[..Math.Min(buffer.Length, 700)]);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => base.ReadAsync(buffer, offset, Math.Min(count, 700), cancellationToken);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => base.ReadAsync(buffer[..Math.Min(buffer.Length, 700)], cancellationToken);
    }

    [Theory]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"server_stats","arguments":{"a":[1,{"name":"x"}]}}}""", "tools/call", "server_stats")]
    [InlineData("""{"params":{"arguments":{},"name":"server_stats"},"id":"x","method":"tools/call","jsonrpc":"2.0"}""", "tools/call", "server_stats")]
    [InlineData("""{"jsonrpc":"2.0","id":2,"method":"resources/read","params":{"uri":"test://secret","name":"ignored"}}""", "resources/read", "test://secret")]
    [InlineData("""{"jsonrpc":"2.0","id":3,"method":"prompts/get","params":{"name":"greet"}}""", "prompts/get", "greet")]
    [InlineData("""{"jsonrpc":"2.0","id":4,"method":"tools/list"}""", "tools/list", null)]
    [InlineData("""{"jsonrpc":"2.0","id":5,"\u006dethod":"tools/call","params":{"n\u0061me":"server_stats"}}""", "tools/call", "server_stats")]
    [InlineData("""{"jsonrpc":"2.0","id":6,"result":{}}""", null, null)]
    public async Task A_plain_message_is_read_for_its_method_and_target_and_the_body_is_rewound_whole(string json, string? method, string? target)
    {
        var (peeked, rewound) = await PeekAsync(json);

        Assert.True(peeked.Clear);
        Assert.Equal(method, peeked.Method);
        Assert.Equal(target, peeked.Target);
        Assert.Equal(json, rewound);
    }

    [Theory]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"server_stats"},"method":"tools/list"}""")]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"whoami","name":"server_stats"}}""")]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"whoami"},"params":{"name":"server_stats"}}""")]
    [InlineData("""{"jsonrpc":"2.0","id":1,"\u006dethod":"tools/call","method":"tools/list"}""")]
    public async Task A_body_naming_its_method_params_or_target_twice_is_a_duplicate(string json)
    {
        var (peeked, rewound) = await PeekAsync(json);

        Assert.Equal(PeekTarget.Duplicate, peeked);
        Assert.Equal(json, rewound);
    }

    [Theory]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"tools/list","Method":"tools/call","params":{"name":"server_stats"}}""")]
    [InlineData("""{"jsonrpc":"2.0","id":1,"METHOD":"tools/call","params":{"name":"server_stats"}}""")]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"whoami","Name":"server_stats"}}""")]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"tools/call","Params":{"name":"server_stats"},"params":{"name":"whoami"}}""")]
    [InlineData("""{"jsonrpc":"2.0","id":1,"\u004dethod":"tools/call","method":"tools/list"}""")]
    [InlineData("""[{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"server_stats"}}]""")]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"whoami"}} {"method":"tools/call"}""")]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"server_stats""")]
    [InlineData("not json")]
    [InlineData("")]
    public async Task A_body_the_SDK_might_read_otherwise_is_unclear_and_rewound(string json)
    {
        var (peeked, rewound) = await PeekAsync(json);

        Assert.Equal(PeekTarget.Unclear, peeked);
        Assert.Equal(json, rewound);
    }

    [Fact]
    public async Task A_body_larger_than_the_first_buffer_is_read_whole()
    {
        var padding = new string('x', 20_000);
        var json = $$"""{"jsonrpc":"2.0","id":1,"params":{"arguments":{"pad":"{{padding}}"},"name":"server_stats"},"method":"tools/call"}""";

        var (peeked, rewound) = await PeekAsync(json);

        Assert.Equal(new PeekTarget(true, "tools/call", "server_stats"), peeked);
        Assert.Equal(json, rewound);
    }
}
