using System.Text;
using McpSseAuth.Storage;
using Microsoft.Extensions.Logging;

namespace McpSseAuth.Grants;

/// <summary>
/// Raised whenever a grant is revoked (connected-apps page, revocation endpoint, replay detection, admin API), so live
/// sessions of it end at once: in this process directly, on the other instances through <see cref="IMcpOAuthBus"/>.
/// </summary>
internal sealed class GrantRevocationSignal(IMcpOAuthBus? bus = null, ILogger<GrantRevocationSignal>? logger = null)
{
    public const string Channel = "revocations";

    public event Action<string>? Revoked;

    /// <summary>Ends the grant's sessions in this process only.</summary>
    public void Raise(string grantId) => Revoked?.Invoke(grantId);

    /// <summary>Ends the grant's sessions here, and tells the other instances. The revocation must be stored first.</summary>
    public async ValueTask RaiseAsync(string grantId, CancellationToken cancellationToken)
    {
        Raise(grantId);
        if (bus is null)
        {
            return;
        }

        try
        {
            await bus.PublishAsync(Channel, Encoding.UTF8.GetBytes(bus.InstanceId + " " + grantId), cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Unreachable or refused, but stored already: the other instances' registries find it at their next sweep (Sessions.IdleTimeout / 4, a minute at most).
            if (logger is not null)
            {
                Log.RevocationNotPublished(logger, e);
            }
        }
    }

    /// <summary>A revocation published by another instance (or this one, which already acted on it).</summary>
    public void Received(ReadOnlySpan<byte> message)
    {
        var text = Encoding.UTF8.GetString(message);
        var space = text.IndexOf(' ', StringComparison.Ordinal);
        if (space > 0 && bus is not null && !text.AsSpan(0, space).SequenceEqual(bus.InstanceId))
        {
            Raise(text[(space + 1)..]);
        }
    }
}
