using System.Collections.Concurrent;

namespace McpSseAuth.Stores;

/// <summary>Per-user secrets in memory; one entry per user and slot, so its size follows the users who store something.</summary>
internal sealed class InMemoryUserSecretStore : IUserSecretStore
{
    private readonly ConcurrentDictionary<(string Subject, string Slot), string> _secrets = new();

    public ValueTask<string?> FindAsync(string subject, string slot, CancellationToken cancellationToken)
        => ValueTask.FromResult(_secrets.TryGetValue((subject, slot), out var value) ? value : null);

    public ValueTask SetAsync(string subject, string slot, string protectedValue, CancellationToken cancellationToken)
    {
        _secrets[(subject, slot)] = protectedValue;
        return ValueTask.CompletedTask;
    }

    public ValueTask<bool> RemoveAsync(string subject, string slot, CancellationToken cancellationToken)
        => ValueTask.FromResult(_secrets.TryRemove((subject, slot), out _));

    public ValueTask<IReadOnlyList<string>> ListAsync(string subject, CancellationToken cancellationToken)
        => ValueTask.FromResult<IReadOnlyList<string>>([.. _secrets.Keys.Where(k => k.Subject == subject).Select(k => k.Slot).Order(StringComparer.Ordinal)]);
}
