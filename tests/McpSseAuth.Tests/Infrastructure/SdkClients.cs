using Microsoft.AspNetCore.WebUtilities;
using ModelContextProtocol.Authentication;
using ModelContextProtocol.Client;

namespace McpSseAuth.Tests.Infrastructure;

/// <summary>The official C# SDK client with OAuth, completing sign-in and consent headlessly through <see cref="Browser"/>.</summary>
public static class SdkClients
{
    /// <summary>Connects (with <paramref name="clientOptions"/>: capabilities and handlers) and, when asked, signs in as <paramref name="user"/> (password: <paramref name="password"/>, else the user name) and decides on the consent page.</summary>
    public static async Task<McpClient> ConnectAsync(Uri endpoint, HttpTransportMode mode, string user, HttpClient? http = null, string decision = "allow", Action? onSignIn = null, string? password = null, McpClientOptions? clientOptions = null)
    {
        http ??= new HttpClient();
        var browserHttp = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false });
        var transport = new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = endpoint,
            TransportMode = mode,
            OAuth = new ClientOAuthOptions
            {
                RedirectUri = new Uri("http://127.0.0.1:45123/callback"),
                DynamicClientRegistration = new DynamicClientRegistrationOptions { ClientName = "McpSseAuth C# e2e" },
                AuthorizationCallbackHandler = async (context, cancellationToken) =>
                {
                    onSignIn?.Invoke();
                    return ResultFrom(await new Browser(browserHttp).AuthorizeAsync(context.AuthorizationUri, user, password ?? user, decision));
                },
            },
        }, http);
        return await McpClient.CreateAsync(transport, clientOptions);
    }

    /// <summary>The text of a tool result with one text block.</summary>
    public static string TextOf(ModelContextProtocol.Protocol.CallToolResult result)
        => Assert.IsType<ModelContextProtocol.Protocol.TextContentBlock>(Assert.Single(result.Content)).Text;

    /// <summary>What the client's redirect URI received, as the SDK wants it; an error response throws.</summary>
    public static AuthorizationResult ResultFrom(Uri location)
    {
        var query = QueryHelpers.ParseQuery(location.Query);
        if (query.TryGetValue("error", out var error))
        {
            throw new InvalidOperationException("authorization error: " + error);
        }

        return new AuthorizationResult { Code = query["code"].ToString(), State = query["state"].ToString(), Iss = query["iss"].ToString() };
    }
}
