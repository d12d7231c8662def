using McpSseAuth.Clients;
using McpSseAuth.Grants;
using McpSseAuth.Http;
using McpSseAuth.Resources;
using McpSseAuth.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace McpSseAuth.Tokens;

/// <summary>
/// What a grant issues, made before anything is stored or spent: the access token, the refresh token that comes with it
/// (its handle and record, not yet stored), and the JSON answer (RFC 6749 §5.1).
/// </summary>
internal sealed record IssuedTokens(byte[] Body, string? RefreshHandle, RefreshToken? Refresh, IReadOnlyList<string> Scopes, DateTimeOffset GrantExpiresAt);

/// <summary>
/// Mints the tokens of the <c>authorization_code</c> and <c>refresh_token</c> grants and sends them. The grants decide the
/// order of their writes (what is stored before the code or refresh token is spent); this only makes and answers.
/// </summary>
internal sealed class TokenIssuance(AccessTokenIssuer issuer, ServerUris uris, TimeProvider time, IOptions<McpOAuthOptions> options, ILogger<TokenEndpoint> logger)
{
    public IssuedTokens Prepare(
        HttpContext context,
        ClientRegistration client,
        GrantSubject user,
        IReadOnlyList<string> scopes,
        IReadOnlyList<string> audiences,
        IReadOnlyList<string> grantResources,
        string grantId,
        DateTimeOffset grantCreatedAt,
        IReadOnlyList<string>? grantScopes = null,
        DateTimeOffset? grantTouchedAt = null,
        string? jkt = null,
        string? refreshJkt = null)
    {
        var o = options.Value;
        var now = time.GetUtcNow();
        // offline_access asked for the refresh token; it stays with the grant but is no permission at the resource.
        var grantedScopes = grantScopes ?? scopes;
        scopes = [.. scopes.Where(s => s != McpOAuthDefaults.OfflineAccessScope)];
        // Idle lifetime from now, never past the grant's absolute lifetime.
        var refreshExpiresAt = Min(now + o.Tokens.RefreshTokenLifetime, grantCreatedAt + o.Tokens.RefreshTokenAbsoluteLifetime);
        var (accessToken, expiresIn) = issuer.Issue(uris.Issuer(context), audiences, user, client.ClientId, scopes, grantId, jkt);
        var response = Response(accessToken, expiresIn, scopes, jkt is not null);
        string? refreshHandle = null;
        RefreshToken? refresh = null;
        var rotates = client.GrantTypes.Contains("refresh_token", StringComparer.Ordinal);
        if (rotates)
        {
            refreshHandle = OpaqueHandle.Create(grantId);
            refresh = new RefreshToken
            {
                ClientId = client.ClientId,
                User = user,
                Scopes = grantedScopes,
                Resources = grantResources,
                GrantId = grantId,
                GrantCreatedAt = grantCreatedAt,
                ExpiresAt = refreshExpiresAt,
                GrantTouchedAt = grantTouchedAt ?? now,
                DpopJkt = refreshJkt,
            };
            response["refresh_token"] = refreshHandle;
        }

        var body = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(response, OAuthJsonContext.Default.DictionaryStringObject);
        return new IssuedTokens(body, refreshHandle, refresh, scopes, rotates ? refreshExpiresAt : now + o.Tokens.AccessTokenLifetime);
    }

    /// <summary>RFC 6749 §5.1: the access token part of a token response; <c>token_type</c> DPoP for a bound token (RFC 9449 §5).</summary>
    public static Dictionary<string, object> Response(string accessToken, int expiresIn, IReadOnlyList<string> scopes, bool dpopBound) => new(StringComparer.Ordinal)
    {
        ["access_token"] = accessToken,
        ["token_type"] = dpopBound ? "DPoP" : "Bearer",
        ["expires_in"] = expiresIn,
        ["scope"] = string.Join(' ', scopes),
    };

    /// <summary>Logs and announces tokens that took effect, then sends them.</summary>
    public async Task AnswerAsync(HttpContext context, string clientId, string subject, string grantType, IReadOnlyList<string> scopes, IReadOnlyList<string> audiences, byte[] body)
    {
        Log.TokenIssued(logger, clientId, subject, grantType, string.Join(' ', audiences));
        Telemetry.EndpointStep.User(context, subject, options.Value.Telemetry.IncludeUserId);
        await options.Value.Events.TokenIssued(new TokenIssuedContext(context, clientId, subject, grantType, scopes, audiences));
        await WriteAsync(context, body);
    }

    /// <summary>Bookkeeping after the tokens took effect: a failure here must not cost the client its new tokens.</summary>
    public async Task BestEffortAsync(Func<ValueTask> write, string what)
    {
        try
        {
            await write();
        }
        catch (Storage.McpStorageUnavailableException e)
        {
            Log.TokenBookkeepingSkipped(logger, what, e);
        }
    }

    public static async Task WriteAsync(HttpContext context, byte[] body)
    {
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers.Pragma = "no-cache";
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = body.Length;
        await context.Response.Body.WriteAsync(body, context.RequestAborted);
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;
}
