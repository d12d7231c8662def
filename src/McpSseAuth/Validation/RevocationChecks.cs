using McpSseAuth.Grants;
using Microsoft.Extensions.Caching.Memory;

namespace McpSseAuth.Validation;

/// <summary>
/// Whether an access token's grant is revoked, as the MCP endpoints ask on every request. The storage's "not revoked" is
/// remembered for <see cref="RecheckAfter"/>, and forgotten at once when a revocation is signalled — made here, or
/// published by another instance (<see cref="GrantRevocationSignal"/>) — so a busy session costs one storage read every
/// couple of seconds, not one per request. Only if another instance's publication is lost does a revocation take up to
/// <see cref="RecheckAfter"/> longer to reach the MCP endpoints here (the sessions it ended are ended by the registry's sweep).
/// </summary>
internal sealed class RevocationChecks : IDisposable
{
    public static readonly TimeSpan RecheckAfter = TimeSpan.FromSeconds(2);

    private const int Capacity = 100_000;

    private readonly IGrantRevocations _revocations;
    private readonly GrantRevocationSignal _signal;
    private readonly MemoryCache _notRevoked;
    private long _signalled;

    public RevocationChecks(IGrantRevocations revocations, GrantRevocationSignal signal, TimeProvider time)
    {
        _notRevoked = new(new MemoryCacheOptions { SizeLimit = Capacity, Clock = new Http.TimeProviderClock(time) });
        _revocations = revocations;
        _signal = signal;
        signal.Revoked += Forget;
    }

    public async ValueTask<bool> IsRevokedAsync(string grantId, CancellationToken cancellationToken)
    {
        if (_notRevoked.TryGetValue(grantId, out _))
        {
            return false;
        }

        // Remembered only if no revocation was signalled meanwhile: a revocation is stored before it is signalled, so an
        // answer read before it was stored is never kept past the signal.
        var signalled = Volatile.Read(ref _signalled);
        if (await _revocations.IsRevokedAsync(grantId, cancellationToken))
        {
            return true;
        }

        if (Volatile.Read(ref _signalled) == signalled)
        {
            _notRevoked.Set(grantId, true, new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = RecheckAfter });
            // A signal between the check above and the Set found nothing to forget: forget it now.
            if (Volatile.Read(ref _signalled) != signalled)
            {
                _notRevoked.Remove(grantId);
            }
        }

        return false;
    }

    public void Dispose()
    {
        _signal.Revoked -= Forget;
        _notRevoked.Dispose();
    }

    private void Forget(string grantId)
    {
        Interlocked.Increment(ref _signalled);
        _notRevoked.Remove(grantId);
    }
}
