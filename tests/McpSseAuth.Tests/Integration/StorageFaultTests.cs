using System.Net;
using McpSseAuth.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace McpSseAuth.Tests.Integration;

/// <summary>
/// An unreachable storage answers 503 <c>temporarily_unavailable</c> with Retry-After whatever handles exceptions in the
/// app: nothing (Production), the developer exception page (on by itself in Development), or the app's own
/// <c>UseExceptionHandler</c> — never a 500, a stack trace or the app's error page.
/// </summary>
public sealed class StorageFaultTests
{
    [Theory]
    [InlineData("Production", false)]
    [InlineData("Development", false)]
    [InlineData("Production", true)]
    [InlineData("Development", true)]
    public async Task StorageDown_Answers503_WhateverHandlesExceptions(string environment, bool useExceptionHandler)
    {
        var storage = new SwitchableStorage();
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = environment });
        builder.WebHost.UseTestServer();
        builder.Services.AddMcpServer();
        builder.Services.AddMcpOAuth(o => o.AddUser("alice", "alice"));
        builder.Services.AddMcpOAuthStorage(_ => storage);
        await using var app = builder.Build();
        if (useExceptionHandler)
        {
            app.UseExceptionHandler(error => error.Run(context => context.Response.WriteAsync("the app's error page")));
        }

        app.MapMcpSse();
        await app.StartAsync();
        using var http = app.GetTestClient();

        storage.Down = true;
        using var response = await http.PostAsync("/oauth/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "refresh_token",
            ["client_id"] = "some-client",
            ["refresh_token"] = "some-token",
        }));

        var body = await Http.AssertOAuthErrorAsync(response, HttpStatusCode.ServiceUnavailable, "temporarily_unavailable");
        Assert.NotNull(response.Headers.RetryAfter);
        Assert.DoesNotContain("Exception", body.GetRawText(), StringComparison.Ordinal);

        storage.Down = false;
        using var after = await http.PostAsync("/oauth/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "refresh_token",
            ["client_id"] = "some-client",
            ["refresh_token"] = "some-token",
        }));
        await Http.AssertOAuthErrorAsync(after, HttpStatusCode.Unauthorized, "invalid_client");
    }

    /// <summary>The in-memory storage, unreachable while <see cref="Down"/>.</summary>
    private sealed class SwitchableStorage : IMcpOAuthStorage
    {
        private readonly InMemoryOAuthStorage _inner = new(TimeProvider.System);

        public volatile bool Down;

        private void ThrowIfDown()
        {
            if (Down)
            {
                throw new McpStorageUnavailableException("The test storage is down.");
            }
        }

        public ValueTask<McpStoredEntry?> GetAsync(string key, CancellationToken cancellationToken)
        {
            ThrowIfDown();
            return _inner.GetAsync(key, cancellationToken);
        }

        public ValueTask<bool> TryAddAsync(string key, ReadOnlyMemory<byte> value, DateTimeOffset expiresAt, string? partition, CancellationToken cancellationToken)
        {
            ThrowIfDown();
            return _inner.TryAddAsync(key, value, expiresAt, partition, cancellationToken);
        }

        public ValueTask SetAsync(string key, ReadOnlyMemory<byte> value, DateTimeOffset expiresAt, string? partition, CancellationToken cancellationToken)
        {
            ThrowIfDown();
            return _inner.SetAsync(key, value, expiresAt, partition, cancellationToken);
        }

        public ValueTask<bool> TryReplaceAsync(string key, ReadOnlyMemory<byte> expected, ReadOnlyMemory<byte> value, DateTimeOffset expiresAt, CancellationToken cancellationToken)
        {
            ThrowIfDown();
            return _inner.TryReplaceAsync(key, expected, value, expiresAt, cancellationToken);
        }

        public ValueTask<McpTakeResult> TryTakeAsync(string key, ReadOnlyMemory<byte> remainder, DateTimeOffset keepUntil, DateTimeOffset now, CancellationToken cancellationToken)
        {
            ThrowIfDown();
            return _inner.TryTakeAsync(key, remainder, keepUntil, now, cancellationToken);
        }

        public ValueTask<bool> RemoveAsync(string key, CancellationToken cancellationToken)
        {
            ThrowIfDown();
            return _inner.RemoveAsync(key, cancellationToken);
        }

        public ValueTask<IReadOnlyList<KeyValuePair<string, McpStoredEntry>>> ListAsync(string partition, CancellationToken cancellationToken)
        {
            ThrowIfDown();
            return _inner.ListAsync(partition, cancellationToken);
        }

        public ValueTask<long> CountAsync(string partition, CancellationToken cancellationToken)
        {
            ThrowIfDown();
            return _inner.CountAsync(partition, cancellationToken);
        }
    }
}
