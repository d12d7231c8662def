using McpSseAuth.Grants;
using McpSseAuth.Storage;
using McpSseAuth.Validation;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace McpSseAuth.Tests.Unit;

/// <summary>
/// The revocation check of every MCP request: "not revoked" is remembered for a moment and forgotten at once when a
/// revocation is signalled; a revocation whose signal never arrived (another instance's publication lost) is seen once
/// the moment passes.
/// </summary>
public sealed class RevocationChecksTests : IDisposable
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private readonly GrantRevocationSignal _signal = new();
    private readonly InMemoryOAuthStorage _storage;
    private readonly GrantStore _here;
    private readonly GrantStore _elsewhere;
    private readonly RevocationChecks _checks;

    public RevocationChecksTests()
    {
        var options = Options.Create(new McpOAuthOptions());
        _storage = new InMemoryOAuthStorage(_clock);
        _here = new GrantStore(_storage, _clock, options, _signal);
        // Another instance on the same storage whose revocations never reach this one's signal.
        _elsewhere = new GrantStore(_storage, _clock, options);
        _checks = new RevocationChecks(_here, _signal, _clock);
    }

    public void Dispose() => _checks.Dispose();

    [Fact]
    public async Task RevokedHere_IsSeenAtOnce_EvenRightAfterItWasCheckedAsLive()
    {
        Assert.False(await _checks.IsRevokedAsync("g1", CancellationToken.None));

        await ((IRefreshTokenStore)_here).RevokeGrantAsync("g1", CancellationToken.None);

        Assert.True(await _checks.IsRevokedAsync("g1", CancellationToken.None));
        Assert.False(await _checks.IsRevokedAsync("g2", CancellationToken.None));
    }

    [Fact]
    public async Task RevokedElsewhere_WithoutASignal_IsSeenOnceTheRecheckIsDue()
    {
        Assert.False(await _checks.IsRevokedAsync("g1", CancellationToken.None));

        await ((IRefreshTokenStore)_elsewhere).RevokeGrantAsync("g1", CancellationToken.None);

        Assert.False(await _checks.IsRevokedAsync("g1", CancellationToken.None));   // remembered "live"
        _clock.Advance(RevocationChecks.RecheckAfter);
        Assert.True(await _checks.IsRevokedAsync("g1", CancellationToken.None));
    }

    [Fact]
    public async Task RevokedElsewhere_AndSignalled_IsSeenAtOnce()
    {
        Assert.False(await _checks.IsRevokedAsync("g1", CancellationToken.None));

        await ((IRefreshTokenStore)_elsewhere).RevokeGrantAsync("g1", CancellationToken.None);
        _signal.Raise("g1");   // as RevocationFanOut does when the other instance's publication arrives

        Assert.True(await _checks.IsRevokedAsync("g1", CancellationToken.None));
    }

    [Fact]
    public async Task ARevocationSignalledWhileTheStorageIsRead_KeepsTheAnswerFromBeingRemembered()
    {
        var raced = new RacingRevocations(_here, () =>
        {
            // Between the read and its answer: stored and signalled, as a revocation on another request would be.
            ((IRefreshTokenStore)_here).RevokeGrantAsync("g1", CancellationToken.None).AsTask().GetAwaiter().GetResult();
        });
        using var checks = new RevocationChecks(raced, _signal, _clock);

        Assert.False(await checks.IsRevokedAsync("g1", CancellationToken.None));   // read before the revocation was stored
        Assert.True(await checks.IsRevokedAsync("g1", CancellationToken.None));    // not remembered as live
    }

    /// <summary>Answers from the real store, as it was before <paramref name="during"/> ran (once, during the first read).</summary>
    private sealed class RacingRevocations(IGrantRevocations store, Action during) : IGrantRevocations
    {
        private int _reads;

        public async ValueTask<bool> IsRevokedAsync(string grantId, CancellationToken cancellationToken)
        {
            var revoked = await store.IsRevokedAsync(grantId, cancellationToken);
            if (Interlocked.Increment(ref _reads) == 1)
            {
                during();
            }

            return revoked;
        }
    }
}
