using System.Data.Common;
using McpSseAuth.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace McpSseAuth.EntityFrameworkCore;

/// <summary>
/// A context of the host's <see cref="DbContext"/> type for each storage operation: from its
/// <see cref="IDbContextFactory{TContext}"/> when it registered one (pooled or not), otherwise from a scope of its own. A
/// failure of the database (it cannot be reached, timed out, refused the connection) becomes
/// <see cref="McpStorageUnavailableException"/>, so McpSseAuth answers 503.
/// </summary>
internal sealed class ContextSource(Func<ValueTask<(DbContext Context, IAsyncDisposable Owner)>> create)
{
    public static ContextSource For<TContext>(IServiceProvider services)
        where TContext : DbContext
    {
        if (services.GetService<IDbContextFactory<TContext>>() is { } factory)
        {
            return new ContextSource(async () =>
            {
                var context = await factory.CreateDbContextAsync();
                return (context, context);
            });
        }

        var scopes = services.GetRequiredService<IServiceScopeFactory>();
        return new ContextSource(() =>
        {
            var scope = scopes.CreateAsyncScope();
            return ValueTask.FromResult<(DbContext, IAsyncDisposable)>((scope.ServiceProvider.GetRequiredService<TContext>(), scope));
        });
    }

    public async ValueTask<T> RunAsync<T>(Func<DbContext, Task<T>> operation, CancellationToken cancellationToken)
    {
        IAsyncDisposable? owner = null;
        try
        {
            (var context, owner) = await create();
            return await operation(context);
        }
        catch (Exception e) when (IsUnavailable(e, cancellationToken))
        {
            throw new McpStorageUnavailableException($"The database of McpSseAuth's storage failed ({e.GetType().Name}: {e.Message})", e);
        }
        finally
        {
            if (owner is not null)
            {
                await owner.DisposeAsync();
            }
        }
    }

    /// <summary>A fault of the database rather than of McpSseAuth: anything the provider throws, a timeout, a failed retry.</summary>
    private static bool IsUnavailable(Exception e, CancellationToken cancellationToken) => e switch
    {
        OperationCanceledException when cancellationToken.IsCancellationRequested => false,
        McpStorageUnavailableException => false,
        DbException or DbUpdateException or TimeoutException or RetryLimitExceededException or OperationCanceledException => true,
        InvalidOperationException { InnerException: DbException or TimeoutException } => true,
        _ => false,
    };
}
