using System.Diagnostics;
using System.Globalization;
using McpSseAuth.Gateway.Tests.Infrastructure;
using McpSseAuth.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace McpSseAuth.Gateway.Tests.EndToEnd;

/// <summary>
/// Servers that misbehave — crash, hang, flood their output, ignore termination — and the messages that are easy to lose
/// in a relay: cancellation, list changes, resource updates, log messages.
/// </summary>
public sealed class RelayFaultTests(TestServerFixture fixture) : IClassFixture<TestServerFixture>
{
    private GatewayHost Host => fixture.Host;

    private static McpClientOptions Session => new() { ProtocolVersion = "2025-11-25" };

    [Fact]
    public async Task AServerThatCrashesDuringACall_GivesAToolError_AndIsStartedAnewForTheNextCall()
    {
        await using var client = await SdkClients.ConnectAsync(Host.Url("/test/mcp"), HttpTransportMode.StreamableHttp, "alice", clientOptions: Session);
        var before = SdkClients.TextOf(await client.CallToolAsync("pid"));

        var crashed = await client.CallToolAsync("crash");

        Assert.True(crashed.IsError);
        Assert.Contains("'test' stopped while handling the request", SdkClients.TextOf(crashed), StringComparison.Ordinal);
        var after = SdkClients.TextOf(await client.CallToolAsync("pid"));
        Assert.NotEqual(before, after);
    }

    [Fact]
    public async Task AServerThatHangs_IsCancelledAfterTheRequestTimeout_AndStillServesTheNextCall()
    {
        await using var client = await SdkClients.ConnectAsync(Host.Url("/test/sse"), HttpTransportMode.Sse, "bob", clientOptions: Session);

        var hung = await Assert.ThrowsAsync<ModelContextProtocol.McpProtocolException>(() => client.CallToolAsync("hang").AsTask());

        Assert.Contains("'test' sent nothing for 2 seconds", hung.Message, StringComparison.Ordinal);
        Assert.Equal("still here", SdkClients.TextOf(await client.CallToolAsync("echo", new Dictionary<string, object?> { ["message"] = "still here" })));
    }

    [Fact]
    public async Task ALongCallThatReportsProgress_IsNotCutByTheRequestTimeout()
    {
        await using var client = await SdkClients.ConnectAsync(Host.Url("/test/mcp"), HttpTransportMode.StreamableHttp, "bob", clientOptions: Session);
        var updates = 0;

        // Twice the server's 2-second request timeout, with progress every quarter second.
        var result = await client.CallToolAsync("slow_with_progress", new Dictionary<string, object?> { ["seconds"] = 4 }, new Progress<ModelContextProtocol.ProgressNotificationValue>(_ => Interlocked.Increment(ref updates)));

        Assert.Equal("done after 4 s", SdkClients.TextOf(result));
        Assert.True(updates > 0);
    }

    [Fact]
    public async Task ACancelledCall_IsCancelledOnTheServerToo()
    {
        await using var client = await SdkClients.ConnectAsync(Host.Url("/test/mcp"), HttpTransportMode.StreamableHttp, "alice", clientOptions: Session);
        var before = int.Parse(SdkClients.TextOf(await client.CallToolAsync("cancellations")), CultureInfo.InvariantCulture);
        using var cancel = new CancellationTokenSource();

        var waiting = Host.Logs.Lines.Count(l => l.Message.Contains("waiting for cancel", StringComparison.Ordinal));
        var call = client.CallToolAsync("wait_for_cancel", cancellationToken: cancel.Token).AsTask();
        await WaitUntilAsync(() => Host.Logs.Lines.Count(l => l.Message.Contains("waiting for cancel", StringComparison.Ordinal)) > waiting);
        await cancel.CancelAsync();
        try
        {
            await call;   // the SDK client may give up at once or take the server's answer to the cancellation
        }
        catch (OperationCanceledException)
        {
        }

        await WaitUntilAsync(async () => int.Parse(SdkClients.TextOf(await client.CallToolAsync("cancellations")), CultureInfo.InvariantCulture) == before + 1);
    }

    [Fact]
    public async Task AFloodOfStandardError_IsCutInTheLog_AndTheCallIsAnswered()
    {
        await using var client = await SdkClients.ConnectAsync(Host.Url("/test/mcp"), HttpTransportMode.StreamableHttp, "bob", clientOptions: Session);

        var result = await client.CallToolAsync("flood", new Dictionary<string, object?> { ["lines"] = 5000 });

        Assert.Equal("flooded", SdkClients.TextOf(result));
        var lines = Host.Logs.Lines.Count(l => l.Id.Id == 2006 && l.Message.Contains("flood line", StringComparison.Ordinal));
        Assert.InRange(lines, 1, 100 * 3);
        Assert.Contains(Host.Logs.Lines, l => l.Id.Id == 2006 && l.Message.Contains("[test for bob]", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AProcessThatIgnoresTermination_IsKilledWhenItsSessionEnds()
    {
        int pid;
        await using (var client = await SdkClients.ConnectAsync(Host.Url("/stubborn/mcp"), HttpTransportMode.StreamableHttp, "alice", clientOptions: Session))
        {
            pid = int.Parse(SdkClients.TextOf(await client.CallToolAsync("pid")), CultureInfo.InvariantCulture);
            Assert.False(Process.GetProcessById(pid).HasExited);
        }

        await WaitUntilAsync(() => !IsRunning(pid));
    }

    [Fact]
    public async Task WhenTheUsersAccessIsRevoked_TheirProcessStopsAtOnce_NotAfterTheIdleTimeout()
    {
        await using var client = await SdkClients.ConnectAsync(Host.Url("/test/mcp"), HttpTransportMode.StreamableHttp, "bob", clientOptions: Session);
        var pid = int.Parse(SdkClients.TextOf(await client.CallToolAsync("pid")), CultureInfo.InvariantCulture);
        var session = Assert.Single(Host.Services.GetRequiredService<IMcpSessions>().ListForUser("bob"));

        await Host.Services.GetRequiredService<IMcpUserAccess>().RevokeGrantAsync("bob", session.GrantId!);

        await WaitUntilAsync(() => !IsRunning(pid));   // the idle timeout is 15 minutes
    }

    [Fact]
    public async Task ListChangesResourceUpdatesAndLogMessages_ReachTheSessionsTheyConcern()
    {
        var changed = new TaskCompletionSource();
        var updated = new TaskCompletionSource<string>();
        var logged = new TaskCompletionSource<string>();
        var options = new McpClientOptions
        {
            ProtocolVersion = "2025-11-25",
            Handlers = new McpClientHandlers
            {
                NotificationHandlers =
                [
                    new(NotificationMethods.ToolListChangedNotification, (_, _) => { changed.TrySetResult(); return ValueTask.CompletedTask; }),
                    new(NotificationMethods.ResourceUpdatedNotification, (n, _) => { updated.TrySetResult(n.Params!["uri"]!.GetValue<string>()); return ValueTask.CompletedTask; }),
                    new(NotificationMethods.LoggingMessageNotification, (n, _) => { logged.TrySetResult(n.Params!["data"]!.GetValue<string>()); return ValueTask.CompletedTask; }),
                ],
            },
        };
        await using var client = await SdkClients.ConnectAsync(Host.Url("/test/sse"), HttpTransportMode.Sse, "alice", clientOptions: options);

        await client.CallToolAsync("add_tool", new Dictionary<string, object?> { ["name"] = "added_" + Guid.NewGuid().ToString("N")[..8] });
        await changed.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await client.SubscribeToResourceAsync("test://things/1");
        Assert.Equal("notified", SdkClients.TextOf(await client.CallToolAsync("touch", new Dictionary<string, object?> { ["uri"] = "test://things/1" })));

        Assert.Equal("test://things/1", await updated.Task.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal("touched test://things/1", await logged.Task.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task AServersListChange_ReachesTheAggregate_AndTheNewToolIsListedThere()
    {
        var changed = new TaskCompletionSource();
        var options = new McpClientOptions
        {
            ProtocolVersion = "2025-11-25",
            Handlers = new McpClientHandlers
            {
                NotificationHandlers = [new(NotificationMethods.ToolListChangedNotification, (_, _) => { changed.TrySetResult(); return ValueTask.CompletedTask; })],
            },
        };
        await using var client = await SdkClients.ConnectAsync(Host.Url("/sse"), HttpTransportMode.Sse, "bob", clientOptions: options);
        var added = "added_" + Guid.NewGuid().ToString("N")[..8];

        await client.CallToolAsync("test__add_tool", new Dictionary<string, object?> { ["name"] = added });

        await changed.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Contains(await client.ListToolsAsync(), t => t.Name == "test__" + added);
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static Task WaitUntilAsync(Func<bool> condition) => WaitUntilAsync(() => Task.FromResult(condition()));

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        for (var waited = 0; !await condition(); waited += 50)
        {
            Assert.True(waited < 15_000, "The condition did not hold within 15 seconds.");
            await Task.Delay(50);
        }
    }
}
