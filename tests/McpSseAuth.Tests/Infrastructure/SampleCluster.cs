using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace McpSseAuth.Tests.Infrastructure;

/// <summary>
/// Several instances of the sample on real Kestrel (users alice and bob), sharing one <see cref="RedisServer"/> under a key
/// prefix of their own, as instances behind a load balancer without sticky sessions would — except that a test addresses
/// each instance itself. They all have one issuer, the first instance's address, so tokens, metadata and resources are the
/// same whichever instance a request reaches. Disposing stops every instance and deletes what they kept under the prefix.
/// </summary>
public sealed class SampleCluster : IAsyncDisposable
{
    private readonly RedisServer? _redis;
    private readonly List<SampleApp> _instances = [];

    private SampleCluster(RedisServer? redis, string issuer)
    {
        _redis = redis;
        Issuer = issuer;
    }

    /// <summary>The issuer every instance announces and signs with: the first instance's address, without a trailing slash.</summary>
    public string Issuer { get; }

    /// <summary>The Redis key prefix of this cluster, unique to it.</summary>
    public string KeyPrefix { get; } = "scale-" + Guid.NewGuid().ToString("N")[..12] + ":";

    public int Count => _instances.Count;

    public SampleApp this[int index] => _instances[index];

    /// <summary>Starts <paramref name="instances"/> instances, one after the other, each serving once this returns.</summary>
    public static Task<SampleCluster> StartAsync(RedisServer redis, int instances = 2, Action<McpOAuthOptions>? configure = null, Action<IServiceCollection>? services = null)
    {
        ArgumentNullException.ThrowIfNull(redis);
        return StartAsync(redis, instances, configure, (cluster, s) =>
        {
            s.AddMcpOAuthRedis(redis.ConnectionString, o => o.KeyPrefix = cluster.KeyPrefix);
            services?.Invoke(s);
        }, settings: null);
    }

    /// <summary>
    /// Starts <paramref name="instances"/> instances of the sample on one PostgreSQL database (its <c>ConnectionStrings:Postgres</c>,
    /// the sample's own migrations applied by the first), one after the other, each serving once this returns.
    /// </summary>
    public static Task<SampleCluster> StartOnPostgresAsync(string connectionString, int instances = 2, Action<McpOAuthOptions>? configure = null, Action<IServiceCollection>? services = null)
        => StartAsync(
            null,
            instances,
            configure,
            (_, s) =>
            {
                s.AddMcpOAuthEntityFrameworkCore<McpSseAuth.SampleServer.SampleDbContext>(o => o.BusPollInterval = TimeSpan.FromMilliseconds(100));
                services?.Invoke(s);
            },
            new Dictionary<string, string?> { ["ConnectionStrings:Postgres"] = connectionString });

    private static async Task<SampleCluster> StartAsync(RedisServer? redis, int instances, Action<McpOAuthOptions>? configure, Action<SampleCluster, IServiceCollection> storage, IReadOnlyDictionary<string, string?>? settings)
    {
        for (var attempt = 1; ; attempt++)
        {
            // The first instance's port is chosen before it starts (it is in the issuer): another program may take it first.
            var first = LoopbackPorts.Free();
            var cluster = new SampleCluster(redis, "http://127.0.0.1:" + first.ToString(CultureInfo.InvariantCulture));
            try
            {
                for (var i = 0; i < instances; i++)
                {
                    var app = new SampleApp(
                        kestrel: true,
                        configure: o =>
                        {
                            o.Issuer = new Uri(cluster.Issuer);
                            configure?.Invoke(o);
                        },
                        services: s => storage(cluster, s),
                        port: i == 0 ? first : 0,
                        settings: settings);
                    cluster._instances.Add(app);
                    _ = app.BaseAddress;   // starts it
                }

                await Task.WhenAll(cluster._instances.Select(WaitUntilServingAsync));
                return cluster;
            }
            catch (IOException) when (attempt < 3 && cluster.Count == 1)
            {
                await cluster.DisposeAsync();   // the first port was taken meanwhile: another one
            }
            catch
            {
                await cluster.DisposeAsync();
                throw;
            }
        }
    }

    /// <summary>The canonical URI of a resource of the cluster, e.g. <c>Resource("/mcp")</c>.</summary>
    public string Resource(string path) => Issuer + path;

    /// <summary>A service of one instance, e.g. <c>Service&lt;IMcpUserAccess&gt;(1)</c>.</summary>
    public T Service<T>(int instance) where T : notnull => _instances[instance].Services.GetRequiredService<T>();

    public async ValueTask DisposeAsync()
    {
        foreach (var app in _instances)
        {
            await app.DisposeAsync();
        }

        _instances.Clear();
        if (_redis is not null)
        {
            await DeleteKeysAsync(_redis, KeyPrefix);
        }
    }

    /// <summary>Deletes every Redis key under <paramref name="prefix"/> (best effort: a stopped server keeps them to its end).</summary>
    public static async Task DeleteKeysAsync(RedisServer redis, string prefix)
    {
        ArgumentNullException.ThrowIfNull(redis);
        try
        {
            var options = ConfigurationOptions.Parse(redis.ConnectionString);
            options.AbortOnConnectFail = false;
            options.ConnectTimeout = 2000;
            await using var connection = await ConnectionMultiplexer.ConnectAsync(options);
            var database = connection.GetDatabase();
            foreach (var server in connection.GetServers())
            {
                var keys = new List<RedisKey>();
                await foreach (var key in server.KeysAsync(pattern: prefix + "*", pageSize: 500))
                {
                    keys.Add(key);
                }

                foreach (var chunk in keys.Chunk(500))
                {
                    await database.KeyDeleteAsync(chunk);
                }
            }
        }
        catch (Exception e) when (e is RedisException or InvalidOperationException)
        {
            // the server is gone; its folder goes with the RedisServer
        }
    }

    // Kestrel listens once the host started; a first request (a fresh connection) shows each instance answers.
    private static async Task WaitUntilServingAsync(SampleApp app)
    {
        using var http = app.CreateRawClient();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            try
            {
                using var response = await http.GetAsync("/.well-known/oauth-authorization-server");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The instance at {app.BaseAddress} did not serve its metadata within 30 s.");
            }

            await Task.Delay(100);
        }
    }
}

/// <summary>Free TCP ports on 127.0.0.1, for servers whose address must be known before they start.</summary>
public static class LoopbackPorts
{
    /// <summary>A port no one listens on right now (the OS picks it; taken again only by chance before it is used).</summary>
    public static int Free() => Free(1)[0];

    /// <summary><paramref name="count"/> different free ports.</summary>
    public static int[] Free(int count)
    {
        // Held open together, so the OS cannot hand out the same port twice.
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        try
        {
            listeners.ForEach(l => l.Start());
            return [.. listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port)];
        }
        finally
        {
            listeners.ForEach(l => l.Dispose());
        }
    }
}
