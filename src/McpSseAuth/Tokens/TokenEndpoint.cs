using McpSseAuth.Authorization;
using McpSseAuth.Discovery;
using McpSseAuth.Http;
using McpSseAuth.Stores;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace McpSseAuth.Tokens;

/// <summary>
/// The token endpoint (RFC 6749 §3.2): <c>authorization_code</c> with PKCE, <c>refresh_token</c> with rotation, and
/// <c>client_credentials</c> for configured confidential clients.
/// Responses carry <c>Cache-Control: no-store</c> (RFC 6749 §5.1).
/// </summary>
internal sealed class TokenEndpoint(
    ClientAuthentication clientAuthentication,
    IClientStore clients,
    IAuthorizationCodeStore codes,
    IRefreshTokenStore refreshTokens,
    IGrantStore grants,
    IConsentStore consents,
    AccessTokenIssuer issuer,
    ResourceIndicators resources,
    ServerUris uris,
    TimeProvider time,
    IOptions<McpOAuthOptions> options,
    ILogger<TokenEndpoint> logger)
{
    public async Task HandleAsync(HttpContext context)
    {
        if (await clientAuthentication.ReadFormAsync(context, logger) is not var (parameters, client))
        {
            return;
        }

        switch (parameters["grant_type"])
        {
            case null:
                await RefuseAsync(context, client.ClientId, OAuthError.InvalidRequest("The grant_type parameter is missing."));
                break;
            case "authorization_code":
                await RedeemCodeAsync(context, parameters, client!);
                break;
            case "refresh_token":
                await RefreshAsync(context, parameters, client!);
                break;
            case Registration.ConfiguredClients.ClientCredentials:
                await ClientCredentialsAsync(context, parameters, client);
                break;
            default:
                await RefuseAsync(context, client.ClientId, OAuthError.UnsupportedGrantType("Supported grant types: authorization_code, refresh_token, and client_credentials for configured confidential clients."));
                break;
        }
    }

    private async Task RedeemCodeAsync(HttpContext context, OAuthParameters parameters, ClientRegistration client)
    {
        var handle = parameters["code"];
        if (handle is null)
        {
            await RefuseAsync(context, client.ClientId, OAuthError.InvalidRequest("The code parameter is missing."));
            return;
        }

        if (parameters["code_verifier"] is not { } verifier)
        {
            await RefuseAsync(context, client.ClientId, OAuthError.InvalidRequest("The code_verifier parameter is missing (PKCE is required)."));
            return;
        }

        var (status, code) = await codes.TryRedeemAsync(handle, context.RequestAborted);
        if (status == RedeemStatus.Replayed)
        {
            Log.TokenReplayed(logger, "authorization code", client.ClientId, code!.GrantId);
        }

        if (status != RedeemStatus.Redeemed || code is null)
        {
            await RefuseAsync(context, client.ClientId, OAuthError.InvalidGrant("The authorization code is invalid, expired or already used."));
            return;
        }

        // Checked after redemption, so a stolen code tried with a wrong verifier is spent, not retried (RFC 9700 §4.5).
        if (!string.Equals(code.ClientId, client.ClientId, StringComparison.Ordinal))
        {
            await RefuseAsync(context, client.ClientId, OAuthError.InvalidGrant("The authorization code was issued to another client."));
            return;
        }

        var redirectUri = parameters["redirect_uri"];
        if ((redirectUri is null && code.RedirectUriGiven) || (redirectUri is not null && !string.Equals(redirectUri, code.RedirectUri, StringComparison.Ordinal)))
        {
            await RefuseAsync(context, client.ClientId, OAuthError.InvalidGrant("redirect_uri must be the one used in the authorization request."));
            return;
        }

        if (!Pkce.Verify(verifier, code.CodeChallenge))
        {
            await RefuseAsync(context, client.ClientId, OAuthError.InvalidGrant("The code_verifier does not match the code_challenge."));
            return;
        }

        // Every code is issued under a remembered consent; revoking the client on the connected-apps page removes it,
        // and a code issued before that must not bring the access back, even once the user allowed the client again.
        if (await consents.FindAsync(code.User.Subject, code.ClientId, context.RequestAborted) is not { } consent || consent.GrantedAt > code.IssuedAt)
        {
            await RefuseAsync(context, client.ClientId, OAuthError.InvalidGrant("The user revoked this application's access after the code was issued."));
            return;
        }

        if (Audiences(context, parameters, code.Resources, out var resourceError) is not { } audiences)
        {
            await RefuseAsync(context, client.ClientId, resourceError!);
            return;
        }

        await IssueAsync(context, client, code.User, code.Scopes, audiences, code.Resources, code.GrantId, "authorization_code", time.GetUtcNow());
    }

    private async Task RefreshAsync(HttpContext context, OAuthParameters parameters, ClientRegistration client)
    {
        var handle = parameters["refresh_token"];
        if (handle is null)
        {
            await RefuseAsync(context, client.ClientId, OAuthError.InvalidRequest("The refresh_token parameter is missing."));
            return;
        }

        // The request's own checks run before the token is spent: a retry after a mistake must not look like a replay.
        if (await refreshTokens.FindAsync(handle, context.RequestAborted) is { } live &&
            string.Equals(live.ClientId, client.ClientId, StringComparison.Ordinal))
        {
            if (NarrowedScopes(parameters, live.Scopes, out var scopeError) is null)
            {
                await RefuseAsync(context, client.ClientId, scopeError!);
                return;
            }

            if (Audiences(context, parameters, live.Resources, out var targetError) is null)
            {
                await RefuseAsync(context, client.ClientId, targetError!);
                return;
            }
        }

        var (status, token, redeemedAt) = await refreshTokens.TryRedeemAsync(handle, context.RequestAborted);
        if (status == RedeemStatus.Replayed && token is not null)
        {
            await ReplayedAsync(context, client, handle, token, redeemedAt);
            return;
        }

        if (status != RedeemStatus.Redeemed || token is null)
        {
            await RefuseAsync(context, client.ClientId, OAuthError.InvalidGrant("The refresh token is invalid, expired, revoked or already used."));
            return;
        }

        if (!string.Equals(token.ClientId, client.ClientId, StringComparison.Ordinal))
        {
            await refreshTokens.RevokeGrantAsync(token.GrantId, context.RequestAborted);
            await RefuseAsync(context, client.ClientId, OAuthError.InvalidGrant("The refresh token was issued to another client."));
            return;
        }

        // Checked again on the redeemed token: the early check saw it only if it was live and this client's.
        if (NarrowedScopes(parameters, token.Scopes, out var error) is not { } scopes ||
            Audiences(context, parameters, token.Resources, out error) is not { } audiences)
        {
            await RefuseAsync(context, client.ClientId, error!);
            return;
        }

        // The narrowed scope and audience apply to this access token; the grant keeps what was consented to.
        await IssueAsync(context, client, token.User, scopes, audiences, token.Resources, token.GrantId, "refresh_token", token.GrantCreatedAt, token.Scopes, rotatedFrom: handle);
    }

    /// <summary>
    /// A rotated refresh token presented again. Inside <see cref="McpOAuthOptions.RefreshTokenReuseWindow"/>, by the same
    /// client, it gets the answer its first use got (concurrent refreshes, a retry after a lost response). Otherwise it is
    /// taken for theft and the whole grant is revoked (OAuth 2.1 §4.3.1, RFC 9700 §4.14.2).
    /// </summary>
    private async Task ReplayedAsync(HttpContext context, ClientRegistration client, string handle, RefreshToken token, DateTimeOffset? redeemedAt)
    {
        var window = options.Value.RefreshTokenReuseWindow;
        var inWindow = redeemedAt is { } at && time.GetUtcNow() - at <= window && window > TimeSpan.Zero
            && string.Equals(token.ClientId, client.ClientId, StringComparison.Ordinal);
        if (inWindow)
        {
            if (await WaitForSuccessorAsync(handle, context.RequestAborted) is { } response)
            {
                Log.RefreshReused(logger, client.ClientId, token.GrantId);
                await WriteTokenResponseAsync(context, response);
                return;
            }

            // Its first use failed or is still running: refuse this one, but it is no sign of theft.
            await RefuseAsync(context, client.ClientId, OAuthError.InvalidGrant("The refresh token was already used."));
            return;
        }

        Log.TokenReplayed(logger, "refresh token", client.ClientId, token.GrantId);
        await refreshTokens.RevokeGrantAsync(token.GrantId, context.RequestAborted);
        await RefuseAsync(context, client.ClientId, OAuthError.InvalidGrant("The refresh token is invalid, expired, revoked or already used."));
    }

    /// <summary>The answer of the token's first use, once that finished (a concurrent first use takes milliseconds).</summary>
    private async Task<byte[]?> WaitForSuccessorAsync(string handle, CancellationToken cancellationToken)
    {
        // Elapsed time, not the time of day: a wait, not a clock reading.
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        while (true)
        {
            if (await refreshTokens.FindSuccessorAsync(handle, cancellationToken) is { } sealedResponse)
            {
                return RefreshSuccessor.Open(handle, sealedResponse);
            }

            if (System.Diagnostics.Stopwatch.GetElapsedTime(started) >= TimeSpan.FromSeconds(5))
            {
                return null;
            }

            await Task.Delay(20, cancellationToken);
        }
    }

    /// <summary>
    /// RFC 6749 §4.4: a configured confidential client acting for itself. The token's subject is <c>client:</c> + its id (a
    /// form no user subject takes), with no refresh token; its own grant id lets the client revoke it.
    /// </summary>
    private async Task ClientCredentialsAsync(HttpContext context, OAuthParameters parameters, ClientRegistration client)
    {
        if (!client.IsConfidential || !client.GrantTypes.Contains(Registration.ConfiguredClients.ClientCredentials, StringComparer.Ordinal))
        {
            await RefuseAsync(context, client.ClientId, OAuthError.UnauthorizedClient("This client may not use client_credentials: only configured confidential clients with that grant type may."));
            return;
        }

        if (NarrowedScopes(parameters, client.ClientCredentialsScopes, "The scope is not among those configured for this client.", out var scopeError) is not { } scopes)
        {
            await RefuseAsync(context, client.ClientId, scopeError!);
            return;
        }

        if (resources.Resolve(context, parameters["resource"], out var resourceError) is not { } audiences)
        {
            await RefuseAsync(context, client.ClientId, resourceError!);
            return;
        }

        var subject = new GrantSubject("client:" + client.ClientId, client.ClientName);
        var (accessToken, expiresIn) = issuer.Issue(uris.Issuer(context), audiences, subject, client.ClientId, scopes, OpaqueHandle.Create());
        var response = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["access_token"] = accessToken,
            ["token_type"] = "Bearer",
            ["expires_in"] = expiresIn,
            ["scope"] = string.Join(' ', scopes),
        };

        Log.TokenIssued(logger, client.ClientId, subject.Subject, Registration.ConfiguredClients.ClientCredentials, string.Join(' ', audiences));
        await options.Value.Events.TokenIssued(new TokenIssuedContext(context, client.ClientId, subject.Subject, Registration.ConfiguredClients.ClientCredentials, scopes, audiences));
        await WriteTokenResponseAsync(context, System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(response, OAuthJsonContext.Default.DictionaryStringObject));
    }

    /// <summary>RFC 6749 §6 (and §4.4 for a client's own scopes): a request may ask for fewer scopes than allowed, never more.</summary>
    private static IReadOnlyList<string>? NarrowedScopes(OAuthParameters parameters, IReadOnlyList<string> granted, out OAuthError? error)
        => NarrowedScopes(parameters, granted, "A refresh may only narrow the scopes originally granted (RFC 6749 §6).", out error);

    private static IReadOnlyList<string>? NarrowedScopes(OAuthParameters parameters, IReadOnlyList<string> granted, string refusal, out OAuthError? error)
    {
        error = null;
        if (parameters["scope"] is not { } requested)
        {
            return granted;
        }

        // offline_access in a refresh request only repeats why there is a refresh token.
        var asked = requested.Split(' ', StringSplitOptions.RemoveEmptyEntries).Distinct(StringComparer.Ordinal).Where(s => s != McpOAuthDefaults.OfflineAccessScope).ToArray();
        if (asked.Length == 0 && requested.Contains(McpOAuthDefaults.OfflineAccessScope, StringComparison.Ordinal))
        {
            return granted;
        }

        if (asked.Length == 0 || asked.Any(s => !granted.Contains(s, StringComparer.Ordinal)))
        {
            error = OAuthError.InvalidScope(refusal);
            return null;
        }

        return asked;
    }

    /// <summary>The token's audiences: the grant's, or the one of them the request names (RFC 8707 §2.2).</summary>
    private IReadOnlyList<string>? Audiences(HttpContext context, OAuthParameters parameters, IReadOnlyList<string> granted, out OAuthError? error)
    {
        error = null;
        if (parameters["resource"] is not { } requested)
        {
            return granted;
        }

        if (resources.Resolve(context, requested, out error) is not [var resolved])
        {
            return null;
        }

        if (!granted.Contains(resolved, StringComparer.Ordinal))
        {
            error = OAuthError.InvalidTarget("The resource is not one this grant was issued for.");
            return null;
        }

        return [resolved];
    }

    private async Task IssueAsync(
        HttpContext context,
        ClientRegistration client,
        GrantSubject user,
        IReadOnlyList<string> scopes,
        IReadOnlyList<string> audiences,
        IReadOnlyList<string> grantResources,
        string grantId,
        string grantType,
        DateTimeOffset grantCreatedAt,
        IReadOnlyList<string>? grantScopes = null,
        string? rotatedFrom = null)
    {
        var o = options.Value;
        var now = time.GetUtcNow();
        // offline_access asked for the refresh token; it stays with the grant but is no permission at the resource.
        var grantedScopes = grantScopes ?? scopes;
        scopes = [.. scopes.Where(s => s != McpOAuthDefaults.OfflineAccessScope)];
        // Idle lifetime from now, never past the grant's absolute lifetime.
        var refreshExpiresAt = Min(now + o.RefreshTokenLifetime, grantCreatedAt + o.RefreshTokenAbsoluteLifetime);
        var issuerString = uris.Issuer(context);
        var (accessToken, expiresIn) = issuer.Issue(issuerString, audiences, user, client.ClientId, scopes, grantId);
        var response = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["access_token"] = accessToken,
            ["token_type"] = "Bearer",
            ["expires_in"] = expiresIn,
            ["scope"] = string.Join(' ', scopes),
        };

        if (client.GrantTypes.Contains("refresh_token", StringComparer.Ordinal))
        {
            var refreshHandle = OpaqueHandle.Create();
            await refreshTokens.StoreAsync(refreshHandle, new RefreshToken
            {
                ClientId = client.ClientId,
                User = user,
                Scopes = grantedScopes,
                Resources = grantResources,
                GrantId = grantId,
                GrantCreatedAt = grantCreatedAt,
                ExpiresAt = refreshExpiresAt,
            }, context.RequestAborted);

            response["refresh_token"] = refreshHandle;
        }

        // The connected-apps page lists the grant and when it was last used.
        var grantExpiresAt = client.GrantTypes.Contains("refresh_token", StringComparer.Ordinal) ? refreshExpiresAt : now + o.AccessTokenLifetime;
        if (grantType == "authorization_code")
        {
            await grants.StoreAsync(new GrantRecord
            {
                GrantId = grantId,
                Subject = user.Subject,
                ClientId = client.ClientId,
                Scopes = grantedScopes,
                Resources = grantResources,
                CreatedAt = now,
                LastUsedAt = now,
                ExpiresAt = grantExpiresAt,
            }, context.RequestAborted);

            // A revoke on the connected-apps page may have run between the consent check and the line above, listing
            // the grants before this one existed: look again now that it is listed, and end it if the consent is gone.
            if (await consents.FindAsync(user.Subject, client.ClientId, context.RequestAborted) is null)
            {
                await refreshTokens.RevokeGrantAsync(grantId, context.RequestAborted);
                await grants.RemoveAsync(grantId, context.RequestAborted);
                await RefuseAsync(context, client.ClientId, OAuthError.InvalidGrant("The user revoked this application's access after the code was issued."));
                return;
            }
        }
        else
        {
            // Bookkeeping after the refresh token was spent: a failure here must not cost the client its new tokens.
            await BestEffortAsync(() => grants.TouchAsync(grantId, now, grantExpiresAt, context.RequestAborted), "grant last use");
            // In use: a client whose grant is refreshed is not stale.
            await BestEffortAsync(() => clients.MarkUsedAsync(client.ClientId, context.RequestAborted), "client last use");
        }

        Log.TokenIssued(logger, client.ClientId, user.Subject, grantType, string.Join(' ', audiences));
        await o.Events.TokenIssued(new TokenIssuedContext(context, client.ClientId, user.Subject, grantType, scopes, audiences));

        var body = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(response, OAuthJsonContext.Default.DictionaryStringObject);
        if (rotatedFrom is not null && o.RefreshTokenReuseWindow > TimeSpan.Zero)
        {
            // Kept with the spent token before the client can see the answer, so a concurrent twin finds it. Without it a
            // twin is refused (invalid_grant) but nothing is revoked: not worth failing this answer for.
            await BestEffortAsync(() => refreshTokens.SetSuccessorAsync(rotatedFrom, RefreshSuccessor.Seal(rotatedFrom, body), context.RequestAborted), "reuse window answer");
        }

        await WriteTokenResponseAsync(context, body);
    }

    private async Task BestEffortAsync(Func<ValueTask> write, string what)
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

    private static async Task WriteTokenResponseAsync(HttpContext context, byte[] body)
    {
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers.Pragma = "no-cache";
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = body.Length;
        await context.Response.Body.WriteAsync(body, context.RequestAborted);
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    private Task RefuseAsync(HttpContext context, string? clientId, OAuthError error) => ClientAuthentication.RefuseAsync(context, logger, clientId, error);
}
