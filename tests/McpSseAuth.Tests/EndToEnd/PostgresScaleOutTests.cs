using McpSseAuth.Tests.Infrastructure;

namespace McpSseAuth.Tests.EndToEnd;

/// <summary>
/// The <see cref="ScaleOutContract"/> on PostgreSQL: two instances of the sample, each with <c>ConnectionStrings:Postgres</c>
/// naming one database of a real PostgreSQL server (the sample's migrations applied at the first start), their state in
/// McpSseAuth.EntityFrameworkCore's tables and their messages through the same database.
/// </summary>
public sealed class PostgresScaleOutTests : ScaleOutContract
{
    protected override async Task<SampleCluster> StartClusterAsync(Action<Microsoft.Extensions.DependencyInjection.IServiceCollection>? services = null, Action<McpOAuthOptions>? configure = null)
    {
        var server = await PostgresServer.SharedAsync();
        return await SampleCluster.StartOnPostgresAsync(await server.CreateDatabaseAsync(), configure: configure, services: services);
    }
}
