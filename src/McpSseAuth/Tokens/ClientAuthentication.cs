using McpSseAuth.Http;
using McpSseAuth.Stores;
using Microsoft.AspNetCore.Http;

namespace McpSseAuth.Tokens;

/// <summary>
/// Who is calling the token, revocation or introspection endpoint. Registered clients are public clients: they identify
/// themselves with <c>client_id</c> alone (RFC 6749 §3.2.1) and hold no secret.
/// </summary>
internal sealed class ClientAuthentication(IClientStore clients)
{
    public async Task<(ClientRegistration? Client, OAuthError? Error)> AuthenticateAsync(HttpContext context, OAuthParameters parameters)
    {
        if (context.Request.Headers.Authorization.Count > 0)
        {
            return (null, OAuthError.InvalidClient("Clients of this server are public clients: send client_id in the body and no Authorization header."));
        }

        if (parameters["client_secret"] is not null)
        {
            return (null, OAuthError.InvalidClient("Clients of this server are public clients and have no client_secret."));
        }

        var clientId = parameters["client_id"];
        if (clientId is null)
        {
            return (null, OAuthError.InvalidClient("The client_id parameter is missing."));
        }

        var client = await clients.FindAsync(clientId, context.RequestAborted);
        return client is null
            ? (null, OAuthError.InvalidClient("Unknown client_id. The client should register again."))
            : (client, null);
    }
}
