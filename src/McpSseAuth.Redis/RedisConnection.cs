using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace McpSseAuth.Redis;

/// <summary>
/// The one multiplexer McpSseAuth.Redis uses (storage, bus and Data Protection keys), connected on first use and disposed
/// with the container when McpSseAuth created it. Connecting never fails because Redis is down: the multiplexer keeps
/// trying in the background and requests meanwhile get 503.
/// </summary>
internal sealed class RedisConnection : IAsyncDisposable, IDisposable
{
    /// <summary>How long a command may wait for Redis before its request gets 503 (unless the configuration string says).</summary>
    public const int DefaultTimeoutMilliseconds = 2000;

    private readonly Func<IConnectionMultiplexer> _create;
    private readonly bool _owned;
    private readonly Lock _gate = new();
    private IConnectionMultiplexer? _multiplexer;
    private bool _disposed;

    private RedisConnection(Func<IConnectionMultiplexer> create, bool owned)
    {
        _create = create;
        _owned = owned;
    }

    /// <summary>Connects with <paramref name="options"/> on first use; the multiplexer is disposed with this object.</summary>
    public static RedisConnection Create(ConfigurationOptions options) => new(() => ConnectionMultiplexer.Connect(options), owned: true);

    /// <summary>Uses the application's own multiplexer, which its owner disposes.</summary>
    public static RedisConnection Borrow(Func<IConnectionMultiplexer> factory) => new(factory, owned: false);

    public IConnectionMultiplexer Multiplexer
    {
        get
        {
            if (Volatile.Read(ref _multiplexer) is { } multiplexer)
            {
                return multiplexer;
            }

            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                if (_multiplexer is null)
                {
                    var created = _create() ?? throw new InvalidOperationException(
                        "McpRedisOptions.ConnectionFactory returned null: return the application's IConnectionMultiplexer.");
                    Volatile.Write(ref _multiplexer, created);
                }

                return _multiplexer;
            }
        }
    }

    /// <summary>
    /// The options McpSseAuth connects with: <paramref name="configuration"/> (StackExchange.Redis syntax), never aborting
    /// when Redis is down at startup, and short timeouts unless the string sets its own, so requests fail fast with 503.
    /// </summary>
    /// <exception cref="ArgumentException">The string cannot be parsed or names no server.</exception>
    public static ConfigurationOptions Options(string configuration, ILoggerFactory? loggers = null)
    {
        ConfigurationOptions options;
        try
        {
            options = ConfigurationOptions.Parse(configuration);
        }
        catch (ArgumentException e)
        {
            // The message names the bad keyword only; the string may hold a password, so it is not repeated.
            throw new ArgumentException(
                $"The Redis configuration string cannot be parsed: {e.Message} Use StackExchange.Redis syntax, e.g. 'localhost:6379' or 'redis.internal:6380,password=...,ssl=true'.",
                nameof(configuration),
                e);
        }

        if (options.EndPoints.Count == 0)
        {
            throw new ArgumentException(
                "The Redis configuration string names no server: start it with host:port, e.g. 'localhost:6379' or 'redis.internal:6380,password=...,ssl=true'.",
                nameof(configuration));
        }

        // The server starts while Redis is down and recovers by itself when it returns.
        options.AbortOnConnectFail = false;
        if (!Mentions(configuration, "connectTimeout"))
        {
            options.ConnectTimeout = DefaultTimeoutMilliseconds;
        }

        if (!Mentions(configuration, "syncTimeout"))
        {
            options.SyncTimeout = DefaultTimeoutMilliseconds;
        }

        if (!Mentions(configuration, "asyncTimeout"))
        {
            options.AsyncTimeout = DefaultTimeoutMilliseconds;
        }

        if (loggers is not null)
        {
            options.LoggerFactory = loggers;
        }

        return options;
    }

    public async ValueTask DisposeAsync()
    {
        if (Detach() is { } multiplexer)
        {
            await multiplexer.DisposeAsync();
        }
    }

    public void Dispose() => Detach()?.Dispose();

    private IConnectionMultiplexer? Detach()
    {
        lock (_gate)
        {
            _disposed = true;
            var multiplexer = _multiplexer;
            _multiplexer = null;
            return _owned ? multiplexer : null;
        }
    }

    private static bool Mentions(string configuration, string keyword) =>
        configuration.Split(',').Any(part => part.TrimStart().StartsWith(keyword + "=", StringComparison.OrdinalIgnoreCase));
}
