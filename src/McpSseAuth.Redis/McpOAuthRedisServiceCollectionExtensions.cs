using McpSseAuth.Redis;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Keeps McpSseAuth's state in Redis, so several instances of a server can share it.</summary>
public static class McpOAuthRedisServiceCollectionExtensions
{
    /// <summary>
    /// Keeps McpSseAuth's state (clients, codes, tokens, grants, consents, revocations, stored secrets, the signing key
    /// ring, the legacy SSE session directory) in Redis, sends revocations and SSE messages between instances over Redis
    /// pub/sub, and keeps the Data Protection key ring there too (unless
    /// <see cref="McpRedisOptions.PersistDataProtectionKeys"/> is false). Every instance must use the same Redis,
    /// <see cref="McpRedisOptions.KeyPrefix"/> and <see cref="McpRedisOptions.ApplicationName"/>.
    /// </summary>
    /// <remarks>
    /// One connection is made, on first use, and closed with the container. The server starts while Redis is down;
    /// requests that need it then get 503 within a few seconds, and everything works again once Redis is back. Calling this
    /// again replaces the earlier settings.
    /// </remarks>
    /// <param name="services">The application's services.</param>
    /// <param name="configuration">
    /// The StackExchange.Redis configuration string, e.g. <c>localhost:6379</c> or
    /// <c>redis.internal:6380,password=...,ssl=true</c>. Commands time out after 2 seconds unless it sets
    /// <c>connectTimeout</c>, <c>syncTimeout</c> or <c>asyncTimeout</c>; <c>abortConnect</c> is always false. Ignored (may be
    /// empty) when <see cref="McpRedisOptions.ConnectionFactory"/> is set.
    /// </param>
    /// <param name="configure">Changes <see cref="McpRedisOptions"/>.</param>
    /// <returns>The services, for chaining.</returns>
    /// <exception cref="ArgumentException">The configuration string or an option is unusable; the message says how to fix it.</exception>
    public static IServiceCollection AddMcpOAuthRedis(this IServiceCollection services, string configuration, Action<McpRedisOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = new McpRedisOptions();
        configure?.Invoke(options);
        var settings = Validate(configuration, options);
        var factory = options.ConnectionFactory;

        services.Replace(ServiceDescriptor.Singleton(settings));
        services.Replace(ServiceDescriptor.Singleton(sp => factory is null
            ? RedisConnection.Create(RedisConnection.Options(configuration, sp.GetService<ILoggerFactory>()))
            : RedisConnection.Borrow(() => factory(sp))));
        services.AddMcpOAuthStorage(
            sp =>
            {
                var connection = sp.GetRequiredService<RedisConnection>();
                return new RedisOAuthStorage(() => connection.Multiplexer, settings.KeyPrefix, sp.GetService<TimeProvider>() ?? TimeProvider.System);
            },
            sp =>
            {
                var connection = sp.GetRequiredService<RedisConnection>();
                return new RedisOAuthBus(() => connection.Multiplexer, settings.KeyPrefix);
            });

        foreach (var earlier in services.Where(d => d.ImplementationType == typeof(RedisDataProtectionSetup)).ToList())
        {
            services.Remove(earlier);
        }

        if (settings.PersistDataProtectionKeys)
        {
            services.AddDataProtection();
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigureOptions<DataProtectionOptions>, RedisDataProtectionSetup>());
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigureOptions<KeyManagementOptions>, RedisDataProtectionSetup>());
        }

        return services;
    }

    private static RedisSettings Validate(string configuration, McpRedisOptions options)
    {
        if (options.ConnectionFactory is null)
        {
            if (string.IsNullOrWhiteSpace(configuration))
            {
                throw new ArgumentException(
                    "AddMcpOAuthRedis needs the Redis configuration string, e.g. services.AddMcpOAuthRedis(\"localhost:6379\"), or McpRedisOptions.ConnectionFactory returning the application's IConnectionMultiplexer.",
                    nameof(configuration));
            }

            RedisConnection.Options(configuration);   // unusable strings fail here, at startup, not on the first request
        }

        if (string.IsNullOrEmpty(options.KeyPrefix))
        {
            throw new ArgumentException(
                $"McpRedisOptions.KeyPrefix is empty: keep the default '{McpRedisOptions.DefaultKeyPrefix}' or set a prefix of your own such as 'myapp:oauth:'.",
                nameof(options));
        }

        if (options.PersistDataProtectionKeys && string.IsNullOrWhiteSpace(options.ApplicationName))
        {
            throw new ArgumentException(
                $"McpRedisOptions.ApplicationName is empty: keep the default '{McpRedisOptions.DefaultApplicationName}' or set the name every instance shares, or set PersistDataProtectionKeys = false to configure Data Protection yourself.",
                nameof(options));
        }

        return new RedisSettings(options.KeyPrefix, options.ApplicationName, options.PersistDataProtectionKeys);
    }
}
