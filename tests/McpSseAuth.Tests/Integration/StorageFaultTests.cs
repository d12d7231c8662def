using System.Net;
using McpSseAuth.Tests.Infrastructure;
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
}
