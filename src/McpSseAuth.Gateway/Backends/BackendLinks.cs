using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using McpSseAuth.Gateway.Relay;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace McpSseAuth.Gateway.Backends;

/// <summary>
/// The connections to the servers behind the gateway, keyed by server, user and (for <see cref="McpGatewayIsolation.PerSession"/>)
/// session, so no two users ever share a process or an HTTP session. A connection is made once however many requests
/// ask at the same time; one that fails is forgotten, so the next request tries again; one whose user's stored token
/// changed is replaced. Stdio processes are capped per user (<see cref="McpGatewayProcessOptions.MaxPerUser"/>).
/// </summary>
internal sealed class BackendLinks(BackendTransports transports, IMcpUserTokens tokens, IOptionsMonitor<McpGatewayOptions> options, ILoggerFactory loggers, TimeProvider time, GatewayMetrics metrics, BackendHealth health) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<LinkKey, Entry> _links = new();
    private readonly ILogger _logger = loggers.CreateLogger("McpSseAuth.Gateway.Backends");

    /// <summary>The connection <paramref name="session"/> uses for <paramref name="backend"/>, made if needed.</summary>
    /// <exception cref="BackendUnavailableException">The server did not start or could not be reached.</exception>
    /// <exception cref="UserTokenMissingException">The server needs the user's token and none is stored.</exception>
    public async Task<BackendLink> AcquireAsync(BackendRoute backend, FrontSession session, CancellationToken cancellationToken)
    {
        if (session.LinkTo(backend.Name) is { } current)
        {
            return current;
        }

        var token = await UserTokenAsync(backend, session, cancellationToken);
        var tokenHash = token is null ? null : Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
        var key = new LinkKey(backend.Name, session.Subject, backend.Isolation == McpGatewayIsolation.PerSession && !session.Stateless ? session.Id : null, CapabilitiesKey(session));
        for (var attempt = 0; ; attempt++)
        {
            var entry = _links.GetOrAdd(key, k => new Entry(backend.Kind, tokenHash, new Lazy<Task<BackendLink>>(() => ConnectAsync(backend, session, k, UserValues.From(session.User, token)))));
            BackendLink link;
            try
            {
                link = await entry.Link.Value.WaitAsync(cancellationToken);
            }
            catch (Exception ex) when (ex is BackendUnavailableException or UserTokenMissingException)
            {
                _links.TryRemove(new(key, entry));
                throw;
            }

            if (link.IsClosed || !string.Equals(entry.TokenHash, tokenHash, StringComparison.Ordinal))
            {
                // Gone meanwhile, or made with a token the user has since replaced: make it anew.
                if (_links.TryRemove(new(key, entry)))
                {
                    await link.DisposeAsync();
                }

                if (attempt < 2)
                {
                    continue;
                }

                throw BackendUnavailableException.Lost(backend, new IOException("The connection closed as it was made."));
            }

            link.Attach(session);
            session.Use(link);
            return link;
        }
    }

    /// <summary>Every live connection, for the idle reaper and health.</summary>
    public IEnumerable<BackendLink> Live
        => _links.Values.Where(e => e.Link.IsValueCreated && e.Link.Value.IsCompletedSuccessfully).Select(e => e.Link.Value.Result);

    /// <summary>Closes the user's connections (access ended, signed out): their processes stop.</summary>
    public async Task CloseForUserAsync(string subject)
    {
        foreach (var (key, entry) in _links.Where(l => string.Equals(l.Key.Subject, subject, StringComparison.Ordinal)).ToArray())
        {
            if (_links.TryRemove(new(key, entry)) && entry.Link.IsValueCreated && entry.Link.Value.IsCompletedSuccessfully)
            {
                await entry.Link.Value.Result.DisposeAsync();
            }
        }
    }

    /// <summary>Closes connections no session has used for the idle timeout, and forgets closed ones.</summary>
    public async Task ReapAsync()
    {
        var idle = options.CurrentValue.Processes.IdleTimeout;
        foreach (var (key, entry) in _links.ToArray())
        {
            if (!entry.Link.IsValueCreated || !entry.Link.Value.IsCompleted)
            {
                continue;
            }

            if (!entry.Link.Value.IsCompletedSuccessfully || entry.Link.Value.Result.IsClosed)
            {
                _links.TryRemove(new(key, entry));
            }
            else if (!entry.Link.Value.Result.InUse(idle) && _links.TryRemove(new(key, entry)))
            {
                GatewayLog.BackendIdle(_logger, key.Backend, key.Subject);
                await entry.Link.Value.Result.DisposeAsync();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var entry in _links.Values)
        {
            if (entry.Link.IsValueCreated && entry.Link.Value.IsCompletedSuccessfully)
            {
                await entry.Link.Value.Result.DisposeAsync();
            }
        }

        _links.Clear();
    }

    private async Task<string?> UserTokenAsync(BackendRoute backend, FrontSession session, CancellationToken cancellationToken)
    {
        if (!UserValues.NeedsToken(backend.Server))
        {
            return null;
        }

        var service = backend.Server.UserToken?.Service ?? backend.Name;
        return await tokens.GetServiceTokenAsync(session.User, service, cancellationToken)
               ?? throw new UserTokenMissingException(backend, service, backend.Server.UserToken?.DisplayName ?? backend.Name, backend.Server.UserToken?.ConnectScheme is not null);
    }

    private async Task<BackendLink> ConnectAsync(BackendRoute backend, FrontSession first, LinkKey key, UserValues user)
    {
        var o = options.CurrentValue;
        if (backend.Kind == BackendKind.Stdio && !await MakeRoomAsync(key, o.Processes.MaxPerUser))
        {
            GatewayLog.ProcessLimitReached(_logger, key.Subject, o.Processes.MaxPerUser, backend.Name);
            throw new BackendUnavailableException($"You have {o.Processes.MaxPerUser} MCP server processes running, the most one user may have. Close a session you no longer use, then try again.");
        }

        try
        {
            // Not the first request's token: other requests wait on the same connection. The start timeout bounds it.
            var link = await BackendLink.ConnectAsync(backend, first, key.SessionId, user, transports, loggers, o.Processes, time, metrics, CancellationToken.None);
            health.Connected(backend.Name);
            return link;
        }
        catch (BackendUnavailableException ex)
        {
            GatewayLog.BackendUnavailable(_logger, backend.Name, key.Subject, ex.InnerException?.Message ?? ex.Message);
            health.Failed(backend.Name, ex.Message);
            metrics.ConnectionFailed(backend.Name);
            throw;
        }
    }

    /// <summary>Whether the user may start one more process: room there is, or is made by closing their least recently used idle one.</summary>
    private async Task<bool> MakeRoomAsync(LinkKey starting, int max)
    {
        var others = _links.Where(l => l.Key.Subject == starting.Subject && l.Key != starting && l.Value.Kind == BackendKind.Stdio).ToArray();
        if (others.Length < max)
        {
            return true;
        }

        var idle = others
            .Where(l => l.Value.Link.IsValueCreated && l.Value.Link.Value.IsCompletedSuccessfully && l.Value.Link.Value.Result.SessionCount == 0)
            .OrderBy(l => l.Value.Link.Value.Result.LastUsed)
            .FirstOrDefault();
        if (idle.Value is null || !_links.TryRemove(idle))
        {
            return false;
        }

        await idle.Value.Link.Value.Result.DisposeAsync();
        return true;
    }

    /// <summary>
    /// What a session's client can answer: a user's sessions share a connection only when these match, because a server
    /// decides at initialize what to offer (server-everything lists its sampling tool only to clients that sample).
    /// </summary>
    private static string CapabilitiesKey(FrontSession session) => session.Capabilities is not { } c ? "" : string.Concat(
        c.Sampling is null ? "" : "s",
        c.Elicitation?.Form is not null || (c.Elicitation is not null && c.Elicitation.Url is null) ? "f" : "",
        c.Elicitation?.Url is null ? "" : "u",
        c.Roots is null ? "" : "r");

    private sealed record LinkKey(string Backend, string Subject, string? SessionId, string Capabilities);

    private sealed record Entry(BackendKind Kind, string? TokenHash, Lazy<Task<BackendLink>> Link);
}
