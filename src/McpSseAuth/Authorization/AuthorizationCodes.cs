using McpSseAuth.Clients;
using McpSseAuth.Grants;
using McpSseAuth.Resources;
using McpSseAuth.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace McpSseAuth.Authorization;

/// <summary>An approved authorization request: what a code is issued for, from the consent form or a remembered consent.</summary>
internal sealed record ApprovedAuthorization(
    string ClientId,
    string RedirectUri,
    bool RedirectUriGiven,
    string? State,
    string CodeChallenge,
    IReadOnlyList<string> Scopes,
    IReadOnlyList<string> Resources);

/// <summary>Issues the single-use code of an approved request and redirects with it; remembers the consent.</summary>
internal sealed class AuthorizationCodes(IAuthorizationCodeStore codes, IClientStore clients, IConsentStore consents, ServerUris uris, TimeProvider time, IOptions<McpOAuthOptions> options)
{
    public async Task RedirectWithCodeAsync(HttpContext context, ApprovedAuthorization request, GrantSubject user)
    {
        if (await IssueAsync(context, request, user) is { } code)
        {
            AuthorizationResponse.RedirectWithCode(context, request.RedirectUri, code, request.State, uris.Issuer(context));
        }
    }

    /// <summary>Stores a single-use code for the approved request; null (the client redirected with an error) when there is no room.</summary>
    public async Task<string?> IssueAsync(HttpContext context, ApprovedAuthorization request, GrantSubject user)
    {
        var issuer = uris.Issuer(context);
        await clients.MarkUsedAsync(request.ClientId, context.RequestAborted);
        var code = OpaqueHandle.Create();
        var stored = await codes.StoreAsync(code, new AuthorizationCode
        {
            ClientId = request.ClientId,
            RedirectUri = request.RedirectUri,
            RedirectUriGiven = request.RedirectUriGiven,
            CodeChallenge = request.CodeChallenge,
            User = user,
            Scopes = request.Scopes,
            Resources = request.Resources,
            GrantId = OpaqueHandle.Create(),
            IssuedAt = time.GetUtcNow(),
            ExpiresAt = time.GetUtcNow() + options.Value.Tokens.AuthorizationCodeLifetime,
        }, context.RequestAborted);
        if (!stored)
        {
            AuthorizationResponse.RedirectWithError(context, request.RedirectUri, Http.OAuthError.TemporarilyUnavailable("The server is too busy; try again later."), request.State, issuer);
            return null;
        }

        return code;
    }

    /// <summary>Adds what the user just allowed to what they allowed this client before.</summary>
    public async Task RememberAsync(ApprovedAuthorization request, string subject, CancellationToken cancellationToken)
    {
        var previous = await consents.FindAsync(subject, request.ClientId, cancellationToken);
        await consents.StoreAsync(new Consent
        {
            Subject = subject,
            ClientId = request.ClientId,
            Scopes = Union(previous?.Scopes, request.Scopes),
            Resources = Union(previous?.Resources, request.Resources),
            // The most recent few: a native client on a new loopback port each time would grow the list without end.
            RedirectUris = [.. Union(previous?.RedirectUris, [request.RedirectUri]).TakeLast(MaxRememberedRedirectUris)],
            // When first allowed: the connected-apps page shows it, and codes issued before it are not covered.
            GrantedAt = previous?.GrantedAt ?? time.GetUtcNow(),
        }, cancellationToken);
    }

    /// <summary>
    /// True when a remembered consent covers the request: no new scope, resource or redirect URI. The redirect URI must be
    /// one the user saw, exactly, port included: a public client's identity cannot be proven (RFC 8252 §8.6), and the
    /// address the code goes to is the closest proof there is, so a loopback client on a new port is asked again, and a
    /// private-use scheme (which any app on the device may claim) is asked every time.
    /// </summary>
    public async Task<bool> IsRememberedAsync(ApprovedAuthorization request, string subject, CancellationToken cancellationToken)
        => !IsPrivateUseScheme(request.RedirectUri) &&
           await consents.FindAsync(subject, request.ClientId, cancellationToken) is { } consent &&
           request.Scopes.All(s => consent.Scopes.Contains(s, StringComparer.Ordinal)) &&
           request.Resources.All(r => consent.Resources.Contains(r, StringComparer.Ordinal)) &&
           consent.RedirectUris.Contains(request.RedirectUri, StringComparer.Ordinal);

    private const int MaxRememberedRedirectUris = 20;

    // Any app on the device may claim a private-use scheme, so such a redirect URI proves nothing: always ask (RFC 8252 §8.6).
    private static bool IsPrivateUseScheme(string redirectUri)
        => !redirectUri.StartsWith("https:", StringComparison.OrdinalIgnoreCase) && !redirectUri.StartsWith("http:", StringComparison.OrdinalIgnoreCase);

    private static string[] Union(IReadOnlyList<string>? before, IReadOnlyList<string> added)
        => [.. (before ?? []).Concat(added).Distinct(StringComparer.Ordinal)];
}
