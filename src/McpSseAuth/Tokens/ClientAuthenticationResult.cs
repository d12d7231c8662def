using McpSseAuth.Clients;
using McpSseAuth.Http;

namespace McpSseAuth.Tokens;

/// <summary>Who called a token, revocation or introspection endpoint: the authenticated client, or why it is refused.</summary>
internal sealed record ClientAuthenticationResult(ClientRegistration? Client, OAuthError? Error)
{
    public static ClientAuthenticationResult Authenticated(ClientRegistration client) => new(client, null);

    public static ClientAuthenticationResult Refused(OAuthError error) => new(null, error);
}
