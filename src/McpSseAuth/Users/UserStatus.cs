using System.Collections.Concurrent;
using McpSseAuth.Sessions;
using McpSseAuth.Storage;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace McpSseAuth.Users;

/// <summary>
/// The one decision whether a user may keep access, asked at every point where access is used: sign-in (local and
/// upstream), the sign-in cookie, code redemption, refresh, bearer requests on the MCP endpoints, and live sessions
/// (<see cref="UserStatusSweep"/>). A user may keep access while: a local user is still listed in
/// <see cref="McpOAuthOptions.Users"/> and not disabled; an upstream user, as last seen at sign-in, still passes the current
/// <see cref="McpOAuthSignInOptions.AccessRules"/> and their provider has not refused to renew their token; and every
/// <see cref="IMcpUserStatus"/> the host registered agrees. Options are read through <see cref="IOptionsMonitor{T}"/>, so
/// a configuration reload applies at once; an answer is remembered per user for
/// <see cref="McpOAuthSignInOptions.UserStatusInterval"/>. A user found without access loses everything at once
/// (<see cref="IMcpUserAccess.RemoveUserAsync"/>): grants, consents, stored tokens, sessions and sign-ins.
/// </summary>
internal sealed class UserStatus : IDisposable
{
    private readonly IOptionsMonitor<McpOAuthOptions> _monitor;
    private readonly IMcpOAuthStorage _storage;
    private readonly IMcpUserStatus[] _hooks;
    private readonly IServiceProvider _services;
    private readonly TimeProvider _time;
    private readonly ILogger<UserStatus> _logger;
    private readonly Telemetry.SecurityAudit _audit;
    private static readonly byte[] Refused = [1];
    private readonly IDisposable? _onChange;
    private readonly ConcurrentDictionary<string, DateTimeOffset> _ended = new(StringComparer.Ordinal);
    private MemoryCache _decisions;
    private McpOAuthOptions _lastGood;

    public UserStatus(IOptionsMonitor<McpOAuthOptions> monitor, [Microsoft.Extensions.DependencyInjection.FromKeyedServices(Telemetry.MeasuredStorage.Key)] IMcpOAuthStorage storage, IEnumerable<IMcpUserStatus> hooks, IServiceProvider services, TimeProvider time, ILogger<UserStatus> logger, Telemetry.SecurityAudit audit)
    {
        _audit = audit;
        _monitor = monitor;
        _storage = storage;
        _hooks = [.. hooks];
        _services = services;
        _time = time;
        _logger = logger;
        _lastGood = monitor.CurrentValue;
        _decisions = NewCache();
        // A changed configuration (a user removed or disabled, access rules changed) applies now, not when answers expire.
        _onChange = monitor.OnChange(_ => Interlocked.Exchange(ref _decisions, NewCache()).Dispose());
    }

    private TimeSpan Interval => Current.SignIn.UserStatusInterval;

    /// <summary>The options now; a reload that fails validation keeps the last good ones.</summary>
    public McpOAuthOptions Current
    {
        get
        {
            try
            {
                return _lastGood = _monitor.CurrentValue;
            }
            catch (OptionsValidationException)
            {
                return _lastGood;
            }
        }
    }

    /// <summary>Why the user may not keep access, or null; remembered for <see cref="McpOAuthSignInOptions.UserStatusInterval"/>.</summary>
    public async ValueTask<string?> RefusalAsync(string subject, CancellationToken cancellationToken)
    {
        var decisions = _decisions;
        if (decisions.TryGetValue(subject, out Decision? known) && known is not null)
        {
            return known.Refusal;
        }

        var refusal = await DecideAsync(subject, cancellationToken);
        decisions.Set(subject, new Decision(refusal), new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = Interval });
        return refusal;
    }

    /// <summary>
    /// <see cref="RefusalAsync"/>, and when the user may not keep access, everything they hold here ended (once per
    /// interval per instance). True when the user may keep access.
    /// </summary>
    public async ValueTask<bool> EnforceAsync(string subject, CancellationToken cancellationToken)
    {
        if (await RefusalAsync(subject, cancellationToken) is not { } refusal)
        {
            return true;
        }

        var now = _time.GetUtcNow();
        if (_ended.TryGetValue(subject, out var at) && now - at < Interval)
        {
            return false;
        }

        _ended[subject] = now;
        foreach (var (old, when) in _ended)
        {
            if (now - when >= Interval)
            {
                _ended.TryRemove(old, out _);
            }
        }

        await _audit.AccessEndedAsync(subject, refusal);
        await _services.GetRequiredService<IMcpUserAccess>().RemoveUserAsync(subject, cancellationToken);
        return false;
    }

    /// <summary>Forgets the remembered answer for the user: the next question decides again.</summary>
    public void Forget(string subject) => _decisions.Remove(subject);

    /// <summary>An upstream user as they signed in just now: what their access rules are checked against later.</summary>
    public async ValueTask RememberUpstreamAsync(UpstreamIdentity user, CancellationToken cancellationToken)
    {
        var o = Current;
        var keepUntil = _time.GetUtcNow() + o.Tokens.RefreshTokenAbsoluteLifetime + o.SignIn.Lifetime;
        await _storage.SetAsync(RecordKey(user.Subject), StoredJson.Encode(UserJson.Default, user), keepUntil, null, cancellationToken);
        // Signed in again through the provider: whatever it refused before, it vouches for the user now.
        await _storage.RemoveAsync(RefusedKey(user.Subject), cancellationToken);
        Forget(user.Subject);
    }

    /// <summary>An upstream user as last seen at sign-in, or null when unknown (a local user, or the record expired).</summary>
    public async ValueTask<UpstreamIdentity?> UpstreamAsync(string subject, CancellationToken cancellationToken)
        => subject.StartsWith(UpstreamIdentity.SubjectPrefix, StringComparison.Ordinal) && await _storage.GetAsync(RecordKey(subject), cancellationToken) is { } record
            ? StoredJson.Decode<UpstreamIdentity>(UserJson.Default, record.Value)
            : null;

    /// <summary>The upstream provider refused to renew the user's token for good (invalid_grant): their access ends.</summary>
    public async ValueTask UpstreamRefusedAsync(string subject, CancellationToken cancellationToken)
    {
        var o = Current;
        await _storage.SetAsync(RefusedKey(subject), Refused, _time.GetUtcNow() + o.Tokens.RefreshTokenAbsoluteLifetime + o.SignIn.Lifetime, null, cancellationToken);
        Forget(subject);
        await EnforceAsync(subject, cancellationToken);
    }

    public void Dispose()
    {
        _onChange?.Dispose();
        _decisions.Dispose();
    }

    private async ValueTask<string?> DecideAsync(string subject, CancellationToken cancellationToken)
    {
        if (subject.StartsWith("client:", StringComparison.Ordinal))
        {
            return null;   // a configured client acting for itself: its access is its configuration
        }

        var o = Current;
        UpstreamIdentity? upstream = null;
        if (subject.StartsWith(UpstreamIdentity.SubjectPrefix, StringComparison.Ordinal))
        {
            if (await _storage.GetAsync(RefusedKey(subject), cancellationToken) is not null)
            {
                return "the identity provider refused to renew the user's sign-in";
            }

            if (await _storage.GetAsync(RecordKey(subject), cancellationToken) is { } record)
            {
                upstream = StoredJson.Decode<UpstreamIdentity>(UserJson.Default, record.Value);
                if (upstream is not null && AccessRuleCheck.Refusal(o.SignIn.AccessRules, upstream) is { } ruleRefusal)
                {
                    return ruleRefusal;
                }
            }
        }
        else if (o.Users.FirstOrDefault(u => string.Equals(u.UserName, subject, StringComparison.Ordinal)) is not { } local)
        {
            return "the user is no longer among the configured users";
        }
        else if (local.Disabled)
        {
            return "the user is disabled";
        }

        var context = new McpUserStatusContext(subject, upstream?.Email, upstream?.Scheme);
        foreach (var hook in _hooks)
        {
            if (!await hook.IsActiveAsync(context, cancellationToken))
            {
                return "the application turned the user away (" + hook.GetType().Name + ")";
            }
        }

        return null;
    }

    private MemoryCache NewCache() => new(new MemoryCacheOptions { SizeLimit = 100_000, Clock = new Http.TimeProviderClock(_time) });

    private static string RecordKey(string subject) => StoredJson.Key("upstream-user", subject);

    private static string RefusedKey(string subject) => StoredJson.Key("upstream-refused", subject);

    private sealed record Decision(string? Refusal);
}
