using McpSseAuth.Storage;

namespace McpSseAuth.UserTokens;

/// <summary>Users' stored secrets (already protected by Data Protection) in <see cref="IMcpOAuthStorage"/>, listed per user.</summary>
internal sealed class UserSecretStore([Microsoft.Extensions.DependencyInjection.FromKeyedServices(Telemetry.MeasuredStorage.Key)] IMcpOAuthStorage storage) : IUserSecretStore
{
    public async ValueTask<string?> FindAsync(string subject, string slot, CancellationToken cancellationToken)
        => StoredJson.Decode<StoredSecret>(UserTokenJson.Default, await storage.GetAsync(Key(subject, slot), cancellationToken))?.ProtectedValue;

    public ValueTask SetAsync(string subject, string slot, string protectedValue, CancellationToken cancellationToken)
        => storage.SetAsync(Key(subject, slot), StoredJson.Encode(UserTokenJson.Default, new StoredSecret(slot, protectedValue)), DateTimeOffset.MaxValue, Partition(subject), cancellationToken);

    public ValueTask<bool> RemoveAsync(string subject, string slot, CancellationToken cancellationToken)
        => storage.RemoveAsync(Key(subject, slot), cancellationToken);

    public async ValueTask<IReadOnlyList<string>> ListAsync(string subject, CancellationToken cancellationToken)
        => [.. (await storage.ListAsync(Partition(subject), cancellationToken)).Select(e => StoredJson.Decode<StoredSecret>(UserTokenJson.Default, e.Value.Value).Slot).Order(StringComparer.Ordinal)];

    private static string Key(string subject, string slot) => StoredJson.Key("secret", subject, slot);

    private static string Partition(string subject) => StoredJson.Key("secrets", subject);
}
