using McpSseAuth.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace McpSseAuth.EntityFrameworkCore;

/// <summary>
/// At startup, that the host's context maps McpSseAuth's tables (else the app stops with the fix); then, every
/// <see cref="McpEntityFrameworkCoreOptions.CleanupInterval"/>, the expired rows deleted. A database that is down at
/// startup does not stop the app: requests answer 503 until it is back.
/// </summary>
internal sealed partial class EntityFrameworkMaintenance(EntityFrameworkStorage storage, McpEntityFrameworkCoreOptions options, TimeProvider time, ILogger<EntityFrameworkMaintenance> logger) : BackgroundService
{
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await storage.Contexts.RunAsync(db =>
        {
            if (db.Model.FindEntityType(typeof(StoredEntry)) is null || db.Model.FindEntityType(typeof(StoredMessage)) is null)
            {
                throw new InvalidOperationException(
                    $"McpSseAuth's tables are not in the model of {db.GetType().Name}: call modelBuilder.AddMcpOAuthEntries() in its OnModelCreating, then add a migration (dotnet ef migrations add AddMcpOAuth) and apply it.");
            }

            return Task.FromResult(true);
        }, cancellationToken);

        try
        {
            await storage.Storage.CountAsync("startup", cancellationToken);
        }
        catch (McpStorageUnavailableException e)
        {
            TablesUnreadable(logger, e);
        }

        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.CleanupInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await storage.Storage.DeleteExpiredAsync(stoppingToken);
            }
            catch (McpStorageUnavailableException e)
            {
                CleanupFailed(logger, e);
            }
        }
    }

    [LoggerMessage(3002, LogLevel.Warning, "McpSseAuth's tables cannot be read at startup: requests that need them answer 503 until they can. If the database is up, apply the migration that creates them.", EventName = "DatabaseTablesUnreadable")]
    private static partial void TablesUnreadable(ILogger logger, Exception exception);

    [LoggerMessage(3003, LogLevel.Warning, "Could not delete the expired rows of McpSseAuth's table; trying again at the next interval.", EventName = "DatabaseCleanupFailed")]
    private static partial void CleanupFailed(ILogger logger, Exception exception);
}
