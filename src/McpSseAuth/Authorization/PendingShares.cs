using McpSseAuth.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace McpSseAuth.Authorization;

/// <summary>
/// Fair shares of <see cref="McpOAuthTokenOptions.MaxPendingAuthorizations"/>: one user holds at most <see cref="PerUser"/>
/// authorization requests waiting for their consent and one client address at most <see cref="PerAddress"/>, so neither can
/// exhaust the bound for everyone else. A request counts until it is answered or expires. Counted per instance, like the bound.
/// </summary>
internal sealed class PendingShares(TimeProvider time, IOptions<McpOAuthOptions> options)
{
    // Each key's admitted flows by expiry, soonest first; a key with none left is dropped.
    private readonly Dictionary<string, PriorityQueue<DateTimeOffset, DateTimeOffset>> _held = new(StringComparer.Ordinal);

    /// <summary>A person has a handful of flows at once: 1% of the bound, at most 50.</summary>
    public int PerUser => Math.Max(1, Math.Min(50, options.Value.Tokens.MaxPendingAuthorizations / 100));

    /// <summary>A whole office behind one NAT address: 10% of the bound.</summary>
    public int PerAddress => Math.Max(PerUser, options.Value.Tokens.MaxPendingAuthorizations / 10);

    /// <summary>
    /// Admits a flow of <paramref name="subject"/> from the request's address until <paramref name="expiresAt"/>; when a share
    /// is used up, answers 429 with Retry-After (when its oldest flow ends) and returns false.
    /// </summary>
    public async Task<bool> TryAdmitAsync(HttpContext context, string subject, DateTimeOffset expiresAt)
        => await TryAdmitAsync(context, subject, AddressKey(context), expiresAt);

    /// <summary>What a request admitted from here is counted under, to <see cref="Release"/> it.</summary>
    public static string AddressKey(HttpContext context) => RateLimits.AddressKey(context);

    /// <summary>Gives back the places of a request that was answered.</summary>
    public void Release(string subject, string? address, DateTimeOffset expiresAt)
    {
        lock (_held)
        {
            foreach (var key in new[] { "user:" + subject, address is null ? null : "address:" + address })
            {
                if (key is not null && _held.TryGetValue(key, out var queue))
                {
                    queue.Remove(expiresAt, out _, out _);
                }
            }
        }
    }

    private async Task<bool> TryAdmitAsync(HttpContext context, string subject, string addressKey, DateTimeOffset expiresAt)
    {
        var now = time.GetUtcNow();
        TimeSpan? wait;
        lock (_held)
        {
            var user = Queue("user:" + subject, now);
            var address = Queue("address:" + addressKey, now);
            wait = user.Count >= PerUser ? Until(user, now) : address.Count >= PerAddress ? Until(address, now) : null;
            if (wait is null)
            {
                user.Enqueue(expiresAt, expiresAt);
                address.Enqueue(expiresAt, expiresAt);
                return true;
            }
        }

        context.Response.Headers.RetryAfter = ((int)Math.Ceiling(Math.Max(1, wait.Value.TotalSeconds))).ToString(System.Globalization.CultureInfo.InvariantCulture);
        await HtmlPage.WriteErrorAsync(context, new OAuthError(OAuthErrorCodes.TemporarilyUnavailable, "Too many sign-ins to applications are in progress for you or your network; finish or close one, or try again in a few minutes.", StatusCodes.Status429TooManyRequests));
        return false;
    }

    private PriorityQueue<DateTimeOffset, DateTimeOffset> Queue(string key, DateTimeOffset now)
    {
        if (!_held.TryGetValue(key, out var queue))
        {
            _held[key] = queue = new PriorityQueue<DateTimeOffset, DateTimeOffset>();
        }

        while (queue.TryPeek(out _, out var soonest) && soonest <= now)
        {
            queue.Dequeue();
        }

        // Keys whose flows all ended go, so the table holds about as many keys as there are flows in progress.
        if (_held.Count > 2 * options.Value.Tokens.MaxPendingAuthorizations)
        {
            foreach (var (other, held) in _held.ToList())
            {
                while (held.TryPeek(out _, out var soonest) && soonest <= now)
                {
                    held.Dequeue();
                }

                if (held.Count == 0 && !ReferenceEquals(held, queue))
                {
                    _held.Remove(other);
                }
            }
        }

        return queue;
    }

    private static TimeSpan Until(PriorityQueue<DateTimeOffset, DateTimeOffset> queue, DateTimeOffset now)
        => queue.TryPeek(out _, out var soonest) ? soonest - now : TimeSpan.Zero;
}
