using McpSseAuth.Hosting;
using McpSseAuth.Storage;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Chooses where McpSseAuth keeps its state.</summary>
public static class McpOAuthStorageServiceCollectionExtensions
{
    /// <summary>
    /// Keeps McpSseAuth's state (clients, codes, refresh tokens, grants, consents, revocations, sign-outs, stored secrets,
    /// the signing key ring, the legacy SSE session directory) in <paramref name="storage"/> instead of memory, and talks to
    /// the other instances sharing it through <paramref name="bus"/>. With shared storage the signing keys live in it, so
    /// <see cref="McpSseAuth.McpOAuthSigningOptions.KeyDirectory"/> must be left unset. <c>McpSseAuth.Sqlite</c> and
    /// <c>McpSseAuth.Redis</c> call this for you. Calling it again replaces the earlier choice.
    /// </summary>
    /// <param name="services">The application's services.</param>
    /// <param name="storage">Creates the storage, once.</param>
    /// <param name="bus">Creates the bus, once; null for one instance only (messages stay in the process).</param>
    /// <returns>The services, for chaining.</returns>
    public static IServiceCollection AddMcpOAuthStorage(this IServiceCollection services, Func<IServiceProvider, IMcpOAuthStorage> storage, Func<IServiceProvider, IMcpOAuthBus>? bus = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(storage);
        services.Replace(ServiceDescriptor.Singleton(storage));
        services.Replace(bus is null ? ServiceDescriptor.Singleton<IMcpOAuthBus, InProcessBus>() : ServiceDescriptor.Singleton(bus));
        services.RemoveAll<ConfiguredStorage>();
        services.AddSingleton(new ConfiguredStorage());
        return services;
    }
}
