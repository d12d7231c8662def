using McpSseAuth.EntityFrameworkCore;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Keeps McpSseAuth's state in a table of your Entity Framework Core <see cref="DbContext"/>.</summary>
public static class McpOAuthEntityFrameworkCoreServiceCollectionExtensions
{
    /// <summary>
    /// Keeps McpSseAuth's state (clients, codes, refresh tokens, grants, consents, revocations, stored secrets, the signing
    /// key ring) in the tables that <c>modelBuilder.AddMcpOAuthEntries()</c> maps into <typeparamref name="TContext"/>, on
    /// whatever database it uses (PostgreSQL, SQL Server, SQLite), and sends messages between the instances sharing it
    /// through the same database. Register the context as usual (<c>AddDbContext</c>, or <c>AddDbContextFactory</c> /
    /// <c>AddPooledDbContextFactory</c>, which is used when present). When <typeparamref name="TContext"/> implements
    /// <see cref="IDataProtectionKeyContext"/>, ASP.NET Core Data Protection keys are kept there too, so every instance reads
    /// the sign-in cookies and stored secrets the others wrote. Calling it again replaces the earlier choice.
    /// </summary>
    /// <typeparam name="TContext">Your context, with <c>modelBuilder.AddMcpOAuthEntries()</c> in its <c>OnModelCreating</c>.</typeparam>
    /// <param name="services">The application's services.</param>
    /// <param name="configure">Changes <see cref="McpEntityFrameworkCoreOptions"/>.</param>
    /// <returns>The services, for chaining.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An interval is zero or negative.</exception>
    public static IServiceCollection AddMcpOAuthEntityFrameworkCore<TContext>(this IServiceCollection services, Action<McpEntityFrameworkCoreOptions>? configure = null)
        where TContext : DbContext
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = new McpEntityFrameworkCoreOptions();
        configure?.Invoke(options);
        if (options.CleanupInterval <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(configure), options.CleanupInterval, "McpEntityFrameworkCoreOptions.CleanupInterval must be positive, e.g. TimeSpan.FromMinutes(10).");
        }

        if (options.BusPollInterval is { } poll && poll <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(configure), poll, "McpEntityFrameworkCoreOptions.BusPollInterval must be positive (e.g. 250 ms), or null for one instance.");
        }

        services.RemoveAll<EntityFrameworkStorage>();
        services.RemoveAll<McpEntityFrameworkCoreOptions>();
        services.AddSingleton(options);
        services.AddSingleton(sp =>
        {
            var time = sp.GetService<TimeProvider>() ?? TimeProvider.System;
            var contexts = ContextSource.For<TContext>(sp);
            var bus = options.BusPollInterval is { } interval
                ? new EntityFrameworkOAuthBus(contexts, time, interval, sp.GetRequiredService<ILoggerFactory>().CreateLogger<EntityFrameworkOAuthBus>())
                : null;
            return new EntityFrameworkStorage(contexts, new EntityFrameworkOAuthStorage(contexts, time), bus);
        });
        services.AddMcpOAuthStorage(
            sp => sp.GetRequiredService<EntityFrameworkStorage>().Storage,
            options.BusPollInterval is null ? null : sp => sp.GetRequiredService<EntityFrameworkStorage>().Bus!);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, EntityFrameworkMaintenance>());

        if (typeof(IDataProtectionKeyContext).IsAssignableFrom(typeof(TContext)))
        {
            PersistKeys.MakeGenericMethod(typeof(TContext)).Invoke(null, [services.AddDataProtection()]);
        }

        return services;
    }

    private static readonly System.Reflection.MethodInfo PersistKeys = typeof(EntityFrameworkCoreDataProtectionExtensions).GetMethod(nameof(EntityFrameworkCoreDataProtectionExtensions.PersistKeysToDbContext))!;
}
