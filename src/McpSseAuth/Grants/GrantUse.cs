using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace McpSseAuth.Grants;

/// <summary>
/// When a grant's access token was last used at an MCP endpoint, for the connected-apps page's "last used": recorded on
/// the grant at most once per <see cref="Interval"/> per grant and instance, after the request, so a busy client costs
/// one storage write every few minutes and no request waits for it.
/// </summary>
internal sealed class GrantUse(IGrantStore grants, TimeProvider time, ILogger<GrantUse> logger)
{
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(5);
    private const int MaxRemembered = 10_000;

    private readonly ConcurrentDictionary<string, DateTimeOffset> _noted = new(StringComparer.Ordinal);
    private DateTimeOffset _sweptAt;

    public void Used(string grantId)
    {
        var now = time.GetUtcNow();
        if (_noted.TryGetValue(grantId, out var noted) && now - noted < Interval)
        {
            return;
        }

        _noted[grantId] = now;
        // Past the bound, entries older than the interval are dropped, at most once per interval: with more grants in use
        // than the bound, a sweep that frees nothing must not run on every request.
        if (_noted.Count > MaxRemembered && now - _sweptAt >= Interval)
        {
            _sweptAt = now;
            foreach (var (old, at) in _noted)
            {
                if (now - at >= Interval)
                {
                    _noted.TryRemove(old, out _);
                }
            }
        }

        _ = NoteAsync(grantId, now);
    }

    private async Task NoteAsync(string grantId, DateTimeOffset now)
    {
        try
        {
            await grants.NoteUseAsync(grantId, now, CancellationToken.None);
        }
        catch (Storage.McpStorageUnavailableException e)
        {
            // Told at the next use after the interval: a storage that is down now costs the page a few minutes' accuracy.
            _noted.TryRemove(grantId, out _);
            Log.GrantUseNotSaved(logger, e);
        }
    }
}
