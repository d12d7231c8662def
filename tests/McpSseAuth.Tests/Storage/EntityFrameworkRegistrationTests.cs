using System.Net;
using System.Text;
using McpSseAuth.EntityFrameworkCore;
using McpSseAuth.Storage;
using McpSseAuth.Tests.Infrastructure;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace McpSseAuth.Tests.Storage;

/// <summary>
/// <c>AddMcpOAuthEntityFrameworkCore</c>: what it registers, Data Protection keys kept in the context, a context without
/// McpSseAuth's tables stopping the app with the fix, a database down at startup answering 503, expired rows deleted, and
/// the bus between instances — on a real PostgreSQL server.
/// </summary>
public sealed class EntityFrameworkRegistrationTests
{
    private static ServiceProvider Build(string connection, Action<McpEntityFrameworkCoreOptions>? configure = null, TimeProvider? time = null)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        if (time is not null)
        {
            services.AddSingleton(time);
        }

        services.AddDbContext<TestOAuthDbContext>(o => o.UseNpgsql(connection));
        services.AddMcpOAuth();
        services.AddMcpOAuthEntityFrameworkCore<TestOAuthDbContext>(configure);
        return services.BuildServiceProvider();
    }

    [Fact]
    public async Task StorageAndBus_AreTheDatabase_SharedBetweenInstances_AndASecondCallReplacesTheFirst()
    {
        var connection = EntityFrameworkDatabases.Postgres();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddDbContext<TestOAuthDbContext>(o => o.UseNpgsql(connection));
        services.AddMcpOAuth();
        services.AddMcpOAuthEntityFrameworkCore<TestOAuthDbContext>(o => o.BusPollInterval = null);
        services.AddMcpOAuthEntityFrameworkCore<TestOAuthDbContext>();
        Assert.Single(services, d => d.ServiceType == typeof(IMcpOAuthStorage) && !d.IsKeyedService);
        Assert.Single(services, d => d.ServiceType == typeof(IHostedService) && d.ImplementationType == typeof(EntityFrameworkMaintenance));

        await using var one = services.BuildServiceProvider();
        await using var two = Build(connection);
        Assert.IsType<EntityFrameworkOAuthStorage>(one.GetRequiredService<IMcpOAuthStorage>());
        Assert.IsType<EntityFrameworkOAuthBus>(one.GetRequiredService<IMcpOAuthBus>());
        await one.GetRequiredService<IMcpOAuthStorage>().SetAsync("shared", "v"u8.ToArray(), DateTimeOffset.UtcNow.AddHours(1), null, default);
        Assert.NotNull(await two.GetRequiredService<IMcpOAuthStorage>().GetAsync("shared", default));
    }

    [Fact]
    public async Task DataProtectionKeys_LiveInTheContext_AndAnotherInstanceUnprotects()
    {
        var connection = EntityFrameworkDatabases.Postgres();
        string protectedText;
        await using (var one = Build(connection))
        {
            protectedText = one.GetRequiredService<IDataProtectionProvider>().CreateProtector("test").Protect("secret");
        }

        await using var two = Build(connection);
        Assert.Equal("secret", two.GetRequiredService<IDataProtectionProvider>().CreateProtector("test").Unprotect(protectedText));
        await using var context = new TestOAuthDbContext(EntityFrameworkDatabases.PostgresOptions(connection));
        Assert.Equal(1, await context.DataProtectionKeys.CountAsync());
    }

    [Fact]
    public async Task AContextWithoutTheTables_StopsTheAppAtStartup_SayingWhatToAdd()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddDbContext<ContextWithoutTables>(o => o.UseNpgsql(EntityFrameworkDatabases.Postgres()));
        builder.Services.AddMcpOAuth(o => o.AddUser("alice", "alice"));
        builder.Services.AddMcpOAuthEntityFrameworkCore<ContextWithoutTables>();
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());
        Assert.Contains("call modelBuilder.AddMcpOAuthEntries() in its OnModelCreating", error.Message, StringComparison.Ordinal);
        Assert.Contains("ContextWithoutTables", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ZeroIntervals_AreRefusedWhenCalled()
    {
        var services = new ServiceCollection();
        Assert.Throws<ArgumentOutOfRangeException>(() => services.AddMcpOAuthEntityFrameworkCore<TestOAuthDbContext>(o => o.CleanupInterval = TimeSpan.Zero));
        Assert.Throws<ArgumentOutOfRangeException>(() => services.AddMcpOAuthEntityFrameworkCore<TestOAuthDbContext>(o => o.BusPollInterval = TimeSpan.FromSeconds(-1)));
    }

    [Fact]
    public async Task DatabaseDownAtStartup_TheAppStarts_AndAnswers503_NotA500()
    {
        var closed = $"Host=127.0.0.1;Port={LoopbackPorts.Free()};Username=postgres;Database=none;Timeout=2";
        await using var app = new SampleApp(services: s =>
        {
            s.AddDbContext<TestOAuthDbContext>(o => o.UseNpgsql(closed));
            s.AddMcpOAuthEntityFrameworkCore<TestOAuthDbContext>();
        });
        using var http = app.CreateRawClient();

        using var register = await http.PostAsync("/oauth/register", new StringContent("""{"redirect_uris":["http://127.0.0.1:7777/callback"]}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, register.StatusCode);
        Assert.Contains("temporarily_unavailable", await register.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.NotNull(register.Headers.RetryAfter);
    }

    [Fact]
    public async Task ExpiredRows_AreDeleted_LiveOnesKept()
    {
        var connection = EntityFrameworkDatabases.Postgres();
        var clock = new FakeTimeProvider(new DateTimeOffset(2031, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var storage = EntityFrameworkDatabases.Storage(EntityFrameworkDatabases.PostgresOptions(connection), clock);
        await storage.SetAsync("short", "a"u8.ToArray(), clock.GetUtcNow().AddMinutes(1), "p", default);
        await storage.SetAsync("long", "b"u8.ToArray(), clock.GetUtcNow().AddDays(1), "p", default);
        await storage.SetAsync("never", "c"u8.ToArray(), DateTimeOffset.MaxValue, "p", default);
        clock.Advance(TimeSpan.FromMinutes(2));

        Assert.Equal(1, await storage.DeleteExpiredAsync(default));
        Assert.Equal(2, await storage.CountAsync("p", default));
        Assert.NotNull(await storage.GetAsync("never", default));
    }

    [Fact]
    public async Task Bus_DeliversToEveryInstance_OnceEach_TheSendersOwnAtOnce()
    {
        var options = EntityFrameworkDatabases.PostgresOptions(EntityFrameworkDatabases.Postgres());
        await using var a = new EntityFrameworkOAuthBus(EntityFrameworkDatabases.Contexts(options), TimeProvider.System, TimeSpan.FromMilliseconds(50), Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        await using var b = new EntityFrameworkOAuthBus(EntityFrameworkDatabases.Contexts(options), TimeProvider.System, TimeSpan.FromMilliseconds(50), Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        var onA = new List<string>();
        var onB = new List<string>();
        var heardOnB = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var subA = await a.SubscribeAsync("news", m => { lock (onA) { onA.Add(Encoding.UTF8.GetString(m.Span)); } return ValueTask.CompletedTask; }, default);
        await using var subB = await b.SubscribeAsync("news", m =>
        {
            lock (onB)
            {
                onB.Add(Encoding.UTF8.GetString(m.Span));
                if (onB.Count == 3)
                {
                    heardOnB.TrySetResult();
                }
            }

            return ValueTask.CompletedTask;
        }, default);
        await using var other = await b.SubscribeAsync("other", _ => throw new InvalidOperationException("not this channel"), default);
        await Task.Delay(200);   // B has read its starting point

        await a.PublishAsync("news", "one"u8.ToArray(), default);
        Assert.Equal(["one"], onA);   // the sender's own subscribers at once
        await a.PublishAsync("news", "two"u8.ToArray(), default);
        await b.PublishAsync("news", "three"u8.ToArray(), default);
        await heardOnB.Task.WaitAsync(TimeSpan.FromSeconds(15));
        await Task.Delay(300);   // several more polls: nothing comes twice

        lock (onB)
        {
            Assert.Equal(["one", "three", "two"], onB.Order(StringComparer.Ordinal));
        }

        Assert.Equal(3, onA.Count);
        Assert.Equal(["one", "three", "two"], onA.Order(StringComparer.Ordinal));
    }

    private sealed class ContextWithoutTables(DbContextOptions<ContextWithoutTables> options) : DbContext(options);
}
