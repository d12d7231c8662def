using System.Collections.Concurrent;
using System.Security.Claims;
using McpSseAuth.Gateway.Backends;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace McpSseAuth.Gateway.Relay;

/// <summary>
/// A client's MCP session with the gateway on one endpoint (a server's own, or the aggregate), or one stateless request
/// of a 2026-07-28 client: whose it is, the backend connections it uses, the resources it subscribed to.
/// </summary>
internal sealed class FrontSession(ClaimsPrincipal user, string subject, string? tokensPage)
{
    private readonly ConcurrentDictionary<string, BackendLink> _links = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _subscriptions = new(StringComparer.Ordinal);
    private long _lastUsed = Environment.TickCount64;

    /// <summary>The SDK's session id, or a fresh one for a stateless request (<see cref="Bind"/>).</summary>
    public string Id { get; private set; } = Guid.NewGuid().ToString("n");

    /// <summary>The user as the session's first request showed them.</summary>
    public ClaimsPrincipal User { get; } = user;

    /// <summary>The user's subject: connections are never shared across subjects.</summary>
    public string Subject { get; } = subject;

    /// <summary>A stateless request of a 2026-07-28 client: no session, nothing to send it unasked.</summary>
    public bool Stateless { get; private set; }

    /// <summary>The absolute URL of the page where users store their tokens, when the server has one.</summary>
    public string? TokensPage { get; } = tokensPage;

    /// <summary>The SDK's server for the session, once it runs: notifications and requests to the client go through it.</summary>
    public McpServer? Server { get; private set; }

    public ClientCapabilities? Capabilities => Server?.ClientCapabilities;

    public long LastUsed => Interlocked.Read(ref _lastUsed);

    public bool Ended { get; private set; }

    public IEnumerable<BackendLink> Links => _links.Values;

    /// <summary>The session runs: its server, its id, and whether it is one at all.</summary>
    public void Bind(McpServer server)
    {
        Server = server;
        Stateless = server.SessionId is null;
        Id = server.SessionId ?? Id;
    }

    public void Touch() => Interlocked.Exchange(ref _lastUsed, Environment.TickCount64);

    public bool IsSubscribed(string uri) => _subscriptions.ContainsKey(uri);

    public void Subscribe(string uri) => _subscriptions[uri] = 0;

    public void Unsubscribe(string uri) => _subscriptions.TryRemove(uri, out _);

    /// <summary>The link to a server this session uses, if it has one.</summary>
    public BackendLink? LinkTo(string backend) => _links.TryGetValue(backend, out var link) && !link.IsClosed ? link : null;

    public void Use(BackendLink link) => _links[link.Backend.Name] = link;

    public void Forget(BackendLink link) => ((ICollection<KeyValuePair<string, BackendLink>>)_links).Remove(new(link.Backend.Name, link));

    /// <summary>
    /// The session ended: its links learn it. A link of this session alone closes; so does a user's link no other session
    /// uses when <paramref name="stopUnused"/> (McpSseAuth ended the session: access revoked, user removed).
    /// </summary>
    public async ValueTask EndAsync(bool stopUnused = false)
    {
        Ended = true;
        foreach (var link in _links.Values)
        {
            await link.DetachAsync(this, stopUnused);
        }

        _links.Clear();
    }
}
