using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text.Json;
using McpSseAuth.Clients;
using McpSseAuth.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace McpSseAuth.Registration;

/// <summary>
/// Dynamic client registration (RFC 7591). Every client is registered as a public client
/// (<c>token_endpoint_auth_method: none</c>): MCP clients are native or browser apps that cannot keep a secret,
/// and PKCE protects their codes (OAuth 2.1 §2.1).
/// </summary>
internal sealed class ClientRegistrationEndpoint(
    IClientStore clients,
    RegistrationPolicy policy,
    ClientMetadata metadata,
    IOptions<McpOAuthOptions> options,
    Telemetry.SecurityAudit audit,
    ILogger<ClientRegistrationEndpoint> logger)
{
    // Registration is anonymous: keep what one request can make the server hold small.
    private const int MaxBodyBytes = 16 * 1024;

    public async Task HandleAsync(HttpContext context)
    {
        // Before the body is read: a refused caller costs nothing more.
        if (policy.Admit(context) is { } refused)
        {
            await RefuseAsync(context, refused);
            return;
        }

        var (document, readError) = await ReadJsonAsync(context);
        if (readError is not null)
        {
            await RefuseAsync(context, readError);
            return;
        }

        using (document)
        {
            var clientId = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(18));
            if (!metadata.TryParse(document!.RootElement, clientId, describedByDocument: false, out var client, out var error))
            {
                await RefuseAsync(context, error);
                return;
            }

            if (!await clients.TryAddAsync(client, context.RequestAborted))
            {
                // Room comes back when a flow in progress ends (its client becomes evictable) or an unused client expires.
                context.Response.Headers.RetryAfter = "600";
                await RefuseAsync(context, OAuthError.TemporarilyUnavailable("This server holds the most clients it may, all of them in use; try again later."));
                return;
            }

            await audit.ClientRegisteredAsync(context, client.ClientId, client.ClientName);
            await options.Value.Events.ClientRegistered(new ClientRegisteredContext(context, client.ClientId, client.ClientName, client.RedirectUris));

            context.Response.StatusCode = StatusCodes.Status201Created;
            context.Response.Headers.CacheControl = "no-store";
            context.Response.Headers.Pragma = "no-cache";
            await context.Response.WriteAsJsonAsync(ToResponse(client), OAuthJsonContext.Default.DictionaryStringObject, contentType: "application/json", context.RequestAborted);
        }
    }

    private Task RefuseAsync(HttpContext context, OAuthError error)
    {
        Log.ClientRegistrationRefused(logger, error.Error, error.Description);
        return error.WriteAsync(context);
    }

    private static async Task<(JsonDocument? Document, OAuthError? Error)> ReadJsonAsync(HttpContext context)
    {
        var request = context.Request;
        if (!request.HasJsonContentType())
        {
            return (null, OAuthError.UnsupportedMediaType("The registration request must be application/json (RFC 7591 §3.1)."));
        }

        if (RequestBodyLimit.Apply(context, MaxBodyBytes) is { } tooLarge)
        {
            return (null, tooLarge);
        }

        try
        {
            using var buffer = new MemoryStream();
            var chunk = new byte[8192];
            int read;
            while ((read = await request.Body.ReadAsync(chunk, context.RequestAborted)) > 0)
            {
                if (buffer.Length + read > MaxBodyBytes)
                {
                    return (null, OAuthError.PayloadTooLarge($"The registration request must not exceed {MaxBodyBytes} bytes."));
                }

                buffer.Write(chunk, 0, read);
            }

            var document = JsonDocument.Parse(buffer.ToArray(), new JsonDocumentOptions { MaxDepth = 16, AllowDuplicateProperties = false });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                document.Dispose();
                return (null, OAuthError.InvalidClientMetadata("The registration request must be a JSON object."));
            }

            return (document, null);
        }
        catch (JsonException)
        {
            return (null, OAuthError.InvalidClientMetadata("The registration request is not valid JSON, or names a member twice."));
        }
        catch (BadHttpRequestException)
        {
            return (null, OAuthError.PayloadTooLarge($"The registration request must not exceed {MaxBodyBytes} bytes."));
        }
    }

    private static Dictionary<string, object> ToResponse(ClientRegistration client)
    {
        var response = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["client_id"] = client.ClientId,
            ["client_id_issued_at"] = client.IssuedAt.ToUnixTimeSeconds(),
            ["redirect_uris"] = client.RedirectUris.ToArray(),
            ["grant_types"] = client.GrantTypes.ToArray(),
            ["response_types"] = client.ResponseTypes.ToArray(),
            ["token_endpoint_auth_method"] = client.TokenEndpointAuthMethod,
        };
        AddIfPresent(response, "client_name", client.ClientName);
        AddIfPresent(response, "client_uri", client.ClientUri);
        AddIfPresent(response, "scope", client.Scope);
        AddIfPresent(response, "application_type", client.ApplicationType);
        AddIfPresent(response, "software_id", client.SoftwareId);
        AddIfPresent(response, "software_version", client.SoftwareVersion);
        if (client.DpopBoundAccessTokens)
        {
            response["dpop_bound_access_tokens"] = true;
        }

        return response;
    }

    private static void AddIfPresent(Dictionary<string, object> response, string name, string? value)
    {
        if (value is not null)
        {
            response[name] = value;
        }
    }

}
