using McpSseAuth.Clients;
using McpSseAuth.Grants;
using McpSseAuth.Http;
using McpSseAuth.Resources;
using McpSseAuth.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace McpSseAuth.Tokens;

/// <summary>
/// The token endpoint (RFC 6749 §3.2): <c>authorization_code</c> with PKCE, <c>refresh_token</c> with rotation
/// (<see cref="RefreshTokenGrant"/>), <c>client_credentials</c> for configured confidential clients, and the JWT bearer grant
/// of enterprise identity providers' identity assertions (<see cref="IdentityAssertionGrant"/>).
/// Responses carry <c>Cache-Control: no-store</c> (RFC 6749 §5.1).
/// </summary>
internal sealed class TokenEndpoint(
    ClientAuthentication clientAuthentication,
    IAuthorizationCodeStore codes,
    IRefreshTokenStore refreshTokens,
    IGrantStore grants,
    GrantRevocation revocation,
    IConsentStore consents,
    Users.UserStatus users,
    AccessTokenIssuer issuer,
    TokenIssuance issuance,
    TokenTargets targets,
    RefreshTokenGrant refresh,
    TokenBinding binding,
    IdentityAssertionGrant identityAssertions,
    Enterprise.EnterpriseProviders enterpriseProviders,
    ResourceIndicators resources,
    ServerUris uris,
    TimeProvider time,
    Telemetry.SecurityAudit audit,
    ILogger<TokenEndpoint> logger)
{
    public async Task HandleAsync(HttpContext context)
    {
        // The code or refresh token presented is read while the client is authenticated (one round of reads); nothing is
        // decided on it before the client is.
        if (await clientAuthentication.ReadFormAsync(context, logger, p => ReadPresentedAsync(p, context.RequestAborted)) is not { } read)
        {
            return;
        }

        var ((parameters, client), presented) = read;
        if (parameters["grant_type"] is null)
        {
            await RefuseAsync(context, client.ClientId, OAuthError.InvalidRequest("The grant_type parameter is missing."));
            return;
        }

        // The DPoP proof, before any grant is looked at: a refused proof spends nothing.
        var (jkt, bindingError) = await binding.BindAsync(context, client);
        if (bindingError is not null)
        {
            await RefuseAsync(context, client.ClientId, bindingError);
            return;
        }

        switch (parameters["grant_type"])
        {
            case "authorization_code":
                await RedeemCodeAsync(context, parameters, client!, presented.Code, jkt);
                break;
            case "refresh_token":
                await refresh.HandleAsync(context, parameters, client!, presented.Refresh, jkt);
                break;
            case Clients.ConfiguredClients.ClientCredentials:
                await ClientCredentialsAsync(context, parameters, client, jkt);
                break;
            case IdentityAssertionGrant.GrantType when enterpriseProviders.Any:
                await identityAssertions.HandleAsync(context, parameters, client, jkt);
                break;
            default:
                await RefuseAsync(context, client.ClientId, OAuthError.UnsupportedGrantType("Supported grant types: authorization_code, refresh_token, and client_credentials for configured confidential clients."));
                break;
        }
    }

    /// <summary>What the form presents, read from the storage: the code of an <c>authorization_code</c> grant, the refresh token of a <c>refresh_token</c> grant.</summary>
    private async ValueTask<Presented> ReadPresentedAsync(OAuthParameters parameters, CancellationToken cancellationToken) => parameters["grant_type"] switch
    {
        "authorization_code" when parameters["code"] is { } code => new(await codes.FindAsync(code, cancellationToken), null),
        "refresh_token" when parameters["refresh_token"] is { } handle => new(null, await refreshTokens.InspectAsync(handle, cancellationToken)),
        _ => default,
    };

    private readonly record struct Presented(AuthorizationCode? Code, RefreshInspection? Refresh);

    /// <summary>
    /// RFC 6749 §4.1.3 with PKCE. The code is read and checked, what it issues is stored, and only then is it spent: a
    /// storage failure in between leaves the code redeemable, never spent with nothing to show for it.
    /// </summary>
    private async Task RedeemCodeAsync(HttpContext context, OAuthParameters parameters, ClientRegistration client, AuthorizationCode? code, string? jkt)
    {
        if (parameters["code"] is not { } handle)
        {
            await RefuseAsync(context, client.ClientId, OAuthError.InvalidRequest("The code parameter is missing."));
            return;
        }

        if (parameters["code_verifier"] is not { } verifier)
        {
            await RefuseAsync(context, client.ClientId, OAuthError.InvalidRequest("The code_verifier parameter is missing (PKCE is required)."));
            return;
        }

        var (problem, audiences) = code is null ? (Expired, null) : await CheckAsync(context, parameters, client, code, verifier, jkt);
        if (problem is not null || code is null || audiences is null)
        {
            // Spent all the same: a stolen code tried with a wrong verifier is not left to be retried (RFC 9700 §4.5), and a
            // spent one presented again revokes its grant (RFC 6749 §4.1.2).
            await SpendAsync(context, handle, client, code, context.RequestAborted);
            await RefuseAsync(context, client.ClientId, problem!);
            return;
        }

        var now = time.GetUtcNow();
        // RFC 9449 §5: a public client's refresh token is bound to the key too; a confidential client's authentication binds its own.
        var issued = issuance.Prepare(context, client, code.User, code.Scopes, audiences, code.Resources, code.GrantId, now, jkt: jkt, refreshJkt: client.IsConfidential ? null : jkt);
        // The refresh token, and the grant the connected-apps page lists, before anything of it can be used. Neither depends
        // on the other, so both are written at once (one commit where the storage groups them); the code is spent after both.
        var grant = new GrantRecord
        {
            GrantId = code.GrantId,
            Subject = code.User.Subject,
            ClientId = client.ClientId,
            Scopes = code.Scopes,
            Resources = code.Resources,
            CreatedAt = now,
            LastUsedAt = now,
            ExpiresAt = issued.GrantExpiresAt + GrantRecord.TouchInterval,
        };
        await Together.AwaitAsync(
            grants.StoreAsync(grant, context.RequestAborted),
            issued.Refresh is null ? ValueTask.CompletedTask : refreshTokens.StoreAsync(issued.RefreshHandle!, issued.Refresh, context.RequestAborted));

        // Every code is issued under a remembered consent; revoking the client on the connected-apps page removes it, and a
        // code issued before that must not bring the access back, even once the user allowed the client again. Looked at
        // once, after the grant is listed: a revoke that ran before the listing finds no grant to end, so what was just
        // stored is ended here (a code of a revoked consent costs two writes to undo; every other code, one round less).
        // Before the code is spent, not while: a look that fails must leave the code redeemable.
        var revokedMeanwhile = await consents.FindAsync(code.User.Subject, client.ClientId, context.RequestAborted) is not { } consent
            || consent.GrantedAt > code.IssuedAt;
        if (await SpendAsync(context, handle, client, code, context.RequestAborted) != RedeemStatus.Redeemed || revokedMeanwhile)
        {
            // Spent or gone in the meantime, or no longer allowed: what was just stored for it must not live on.
            await revocation.RevokeAsync(code.GrantId, context.RequestAborted);
            await RefuseAsync(context, client.ClientId, revokedMeanwhile ? OAuthError.InvalidGrant("The user revoked this application's access after the code was issued.") : Expired);
            return;
        }

        await issuance.AnswerAsync(context, client.ClientId, code.User.Subject, "authorization_code", issued.Scopes, audiences, issued.Body);
    }

    private static readonly OAuthError Expired = OAuthError.InvalidGrant("The authorization code is invalid, expired or already used.");

    /// <summary>Why the code may not be redeemed by this request, or the audiences of its access token.</summary>
    private async Task<(OAuthError? Problem, IReadOnlyList<string>? Audiences)> CheckAsync(HttpContext context, OAuthParameters parameters, ClientRegistration client, AuthorizationCode code, string verifier, string? jkt)
    {
        if (!string.Equals(code.ClientId, client.ClientId, StringComparison.Ordinal))
        {
            return (OAuthError.InvalidGrant("The authorization code was issued to another client."), null);
        }

        var redirectUri = parameters["redirect_uri"];
        if ((redirectUri is null && code.RedirectUriGiven) || (redirectUri is not null && !string.Equals(redirectUri, code.RedirectUri, StringComparison.Ordinal)))
        {
            return (OAuthError.InvalidGrant("redirect_uri must be the one used in the authorization request."), null);
        }

        if (!Pkce.Verify(verifier, code.CodeChallenge))
        {
            return (OAuthError.InvalidGrant("The code_verifier does not match the code_challenge."), null);
        }

        // RFC 9449 §10: a code bound to a DPoP key at the authorization request is redeemed only with a proof of that key.
        if (code.DpopJkt is { } bound && !string.Equals(bound, jkt, StringComparison.Ordinal))
        {
            return (OAuthError.InvalidGrant("The authorization code is bound to a DPoP key (dpop_jkt): redeem it with a DPoP proof of that key."), null);
        }

        if (!await users.EnforceAsync(code.User.Subject, context.RequestAborted))
        {
            return (RefreshTokenGrant.NoAccess, null);
        }

        var audiences = targets.Audiences(context, parameters, code.Resources, out var resourceError);
        return (resourceError, audiences);
    }

    /// <summary>Spends the code; a second use is logged (the store revokes its grant).</summary>
    private async ValueTask<RedeemStatus> SpendAsync(HttpContext context, string handle, ClientRegistration client, AuthorizationCode? read, CancellationToken cancellationToken)
    {
        var (status, spent) = await codes.TryRedeemAsync(handle, read, cancellationToken);
        if (status == RedeemStatus.Replayed)
        {
            await audit.TokenReplayedAsync(context, "authorization code", client.ClientId, spent!.User.Subject, spent.GrantId);
        }

        return status;
    }

    /// <summary>
    /// RFC 6749 §4.4: a configured confidential client acting for itself. The token's subject is <c>client:</c> + its id (a
    /// form no user subject takes), with no refresh token; its own grant id lets the client revoke it.
    /// </summary>
    private async Task ClientCredentialsAsync(HttpContext context, OAuthParameters parameters, ClientRegistration client, string? jkt)
    {
        if (!client.IsConfidential || !client.GrantTypes.Contains(Clients.ConfiguredClients.ClientCredentials, StringComparer.Ordinal))
        {
            await RefuseAsync(context, client.ClientId, OAuthError.UnauthorizedClient("This client may not use client_credentials: only configured confidential clients with that grant type may."));
            return;
        }

        if (TokenTargets.NarrowedScopes(parameters, client.ClientCredentialsScopes, "The scope is not among those configured for this client.", out var scopeError) is not { } scopes)
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
        var (accessToken, expiresIn) = issuer.Issue(uris.Issuer(context), audiences, subject, client.ClientId, scopes, OpaqueHandle.Create(), jkt);
        var body = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(TokenIssuance.Response(accessToken, expiresIn, scopes, jkt is not null), OAuthJsonContext.Default.DictionaryStringObject);
        await issuance.AnswerAsync(context, client.ClientId, subject.Subject, Clients.ConfiguredClients.ClientCredentials, scopes, audiences, body);
    }

    private Task RefuseAsync(HttpContext context, string? clientId, OAuthError error) => ClientAuthentication.RefuseAsync(context, logger, clientId, error);
}
