using ModelContextProtocol.Authentication;
using ModelContextProtocol.Client;

namespace McpSseAuth.Tests.Infrastructure;

/// <summary>What happened in the SDK client's authorization callbacks: the URLs it was given and where the browser ended.</summary>
public sealed class AuthorizationLog
{
    private readonly List<(Uri AuthorizationUri, Uri? Redirect)> _flows = [];

    public IReadOnlyList<(Uri AuthorizationUri, Uri? Redirect)> Flows
    {
        get
        {
            lock (_flows)
            {
                return [.. _flows];
            }
        }
    }

    /// <summary>The client ids the SDK got from dynamic client registration.</summary>
    public List<string> RegisteredClientIds { get; } = [];

    internal void Add(Uri authorizationUri, Uri? redirect)
    {
        lock (_flows)
        {
            _flows.Add((authorizationUri, redirect));
        }
    }
}

/// <summary>
/// The official C# SDK client (<see cref="HttpClientTransport"/> + <see cref="ClientOAuthOptions"/>) whose authorization
/// callback drives an <see cref="UpstreamBrowser"/> through our server and the upstream provider, then hands the SDK
/// the <c>code</c>, <c>state</c> and <c>iss</c> of the final redirect (or fails with the <c>error</c> it carried).
/// </summary>
public static class UpstreamClients
{
    /// <summary>A loopback redirect URI nothing listens on: the browser only reads the final Location.</summary>
    public static readonly Uri RedirectUri = new("http://127.0.0.1:45123/callback");

    public static async Task<McpClient> ConnectAsync(
        Uri endpoint,
        HttpTransportMode mode,
        UpstreamBrowser browser,
        HttpClient? http = null,
        AuthorizationLog? log = null,
        string? clientId = null)
    {
        http ??= new HttpClient();
        var transport = new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = endpoint,
            TransportMode = mode,
            OAuth = new ClientOAuthOptions
            {
                RedirectUri = RedirectUri,
                ClientId = clientId,
                DynamicClientRegistration = new DynamicClientRegistrationOptions
                {
                    ClientName = "McpSseAuth upstream e2e",
                    ResponseDelegate = (response, _) =>
                    {
                        log?.RegisteredClientIds.Add(response.ClientId);
                        return Task.CompletedTask;
                    },
                },
                AuthorizationCallbackHandler = async (context, _) =>
                {
                    Uri? location = null;
                    try
                    {
                        location = await browser.AuthorizeAsync(context.AuthorizationUri, context.RedirectUri);
                    }
                    finally
                    {
                        log?.Add(context.AuthorizationUri, location);
                    }

                    if (location is null)
                    {
                        var page = browser.LastPage;
                        throw new InvalidOperationException($"The browser stopped at {page}: {page?.Body[..Math.Min(page.Body.Length, 800)]}");
                    }

                    return SdkClients.ResultFrom(location);
                },
            },
        }, http);
        return await McpClient.CreateAsync(transport);
    }
}
