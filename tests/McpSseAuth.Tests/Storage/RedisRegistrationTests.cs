using System.Text;
using McpSseAuth.Redis;
using McpSseAuth.Storage;
using McpSseAuth.Tests.Infrastructure;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace McpSseAuth.Tests.Storage;

/// <summary><c>AddMcpOAuthRedis</c>: what it registers, Data Protection keys shared through Redis, and early, fixable errors.</summary>
public sealed class RedisRegistrationTests(RedisServer redis) : IClassFixture<RedisServer>
{
    private readonly string _prefix = "reg-" + Guid.NewGuid().ToString("N")[..8] + ":";

    private ServiceProvider Build(Action<McpRedisOptions>? configure = null, string? configuration = null)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddMcpOAuth();
        services.AddMcpOAuthRedis(configuration ?? redis.ConnectionString, o =>
        {
            o.KeyPrefix = _prefix;
            configure?.Invoke(o);
        });
        return services.BuildServiceProvider();
    }

    private async Task<long> KeyRingLengthAsync(string prefix)
    {
        await using var connection = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        return await connection.GetDatabase().ListLengthAsync(prefix + "dataprotection-keys");
    }

    [Fact]
    public async Task Storage_and_bus_are_redis_and_share_state_between_two_instances()
    {
        await using var one = Build();
        await using var two = Build();
        var storage = one.GetRequiredService<IMcpOAuthStorage>();
        Assert.IsType<RedisOAuthStorage>(storage);
        Assert.IsType<RedisOAuthBus>(one.GetRequiredService<IMcpOAuthBus>());

        await storage.SetAsync("shared", Encoding.UTF8.GetBytes("v"), DateTimeOffset.UtcNow.AddHours(1), null, default);
        Assert.NotNull(await two.GetRequiredService<IMcpOAuthStorage>().GetAsync("shared", default));
    }

    [Fact]
    public async Task Data_protection_keys_live_in_redis_and_another_instance_unprotects()
    {
        string protectedText;
        await using (var one = Build())
        {
            protectedText = one.GetRequiredService<IDataProtectionProvider>().CreateProtector("test").Protect("secret");
        }

        Assert.True(await KeyRingLengthAsync(_prefix) > 0);
        await using var two = Build();
        Assert.Equal("secret", two.GetRequiredService<IDataProtectionProvider>().CreateProtector("test").Unprotect(protectedText));
        Assert.Equal("McpSseAuth", two.GetRequiredService<IOptions<DataProtectionOptions>>().Value.ApplicationDiscriminator);
    }

    [Fact]
    public async Task A_second_call_replaces_the_first()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddMcpOAuth();
        services.AddMcpOAuthRedis(redis.ConnectionString, o => o.KeyPrefix = "first-" + _prefix);
        services.AddMcpOAuthRedis(redis.ConnectionString, o =>
        {
            o.KeyPrefix = _prefix;
            o.ApplicationName = "Second";
        });

        Assert.Single(services, d => d.ServiceType == typeof(RedisConnection));
        Assert.Single(services, d => d.ServiceType == typeof(IMcpOAuthStorage) && !d.IsKeyedService);
        Assert.Single(services, d => d.ServiceType == typeof(IConfigureOptions<KeyManagementOptions>) && d.ImplementationType == typeof(RedisDataProtectionSetup));

        await using var provider = services.BuildServiceProvider();
        provider.GetRequiredService<IDataProtectionProvider>().CreateProtector("test").Protect("x");
        Assert.Equal("Second", provider.GetRequiredService<IOptions<DataProtectionOptions>>().Value.ApplicationDiscriminator);
        Assert.True(await KeyRingLengthAsync(_prefix) > 0);
        Assert.Equal(0, await KeyRingLengthAsync("first-" + _prefix));
    }

    [Fact]
    public void Data_protection_is_left_alone_when_asked()
    {
        var services = new ServiceCollection();
        services.AddMcpOAuthRedis(redis.ConnectionString);
        services.AddMcpOAuthRedis(redis.ConnectionString, o => o.PersistDataProtectionKeys = false);
        Assert.DoesNotContain(services, d => d.ImplementationType == typeof(RedisDataProtectionSetup));
    }

    [Fact]
    public async Task An_application_multiplexer_is_used_and_not_disposed()
    {
        await using var own = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        await using (var provider = Build(o => o.ConnectionFactory = _ => own, configuration: ""))
        {
            await provider.GetRequiredService<IMcpOAuthStorage>().SetAsync("own", Encoding.UTF8.GetBytes("v"), DateTimeOffset.MaxValue, null, default);
            Assert.Same(own, provider.GetRequiredService<RedisConnection>().Multiplexer);
        }

        Assert.True(own.IsConnected);
        Assert.True(await own.GetDatabase().KeyExistsAsync(_prefix + "e:own"));
    }

    [Fact]
    public void Nothing_connects_before_first_use()
    {
        // Port 1 on loopback answers nothing: registration and building the container must not try.
        using var provider = Build(configuration: "127.0.0.1:1");
        Assert.IsType<RedisOAuthStorage>(provider.GetRequiredService<IMcpOAuthStorage>());
    }

    [Theory]
    [InlineData("", "AddMcpOAuthRedis needs the Redis configuration string")]
    [InlineData("localhost:6379,notAnOption=1", "cannot be parsed")]
    [InlineData("password=secret", "names no server")]
    public void An_unusable_configuration_string_fails_at_registration_without_echoing_it(string configuration, string expected)
    {
        var e = Assert.Throws<ArgumentException>(() => new ServiceCollection().AddMcpOAuthRedis(configuration));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unusable_options_fail_at_registration_with_the_fix()
    {
        var prefix = Assert.Throws<ArgumentException>(() => new ServiceCollection().AddMcpOAuthRedis("localhost:6379", o => o.KeyPrefix = ""));
        Assert.Contains("mcp-oauth:", prefix.Message, StringComparison.Ordinal);
        var name = Assert.Throws<ArgumentException>(() => new ServiceCollection().AddMcpOAuthRedis("localhost:6379", o => o.ApplicationName = " "));
        Assert.Contains("PersistDataProtectionKeys = false", name.Message, StringComparison.Ordinal);
    }
}
