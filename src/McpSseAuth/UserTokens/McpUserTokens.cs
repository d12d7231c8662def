using System.Security.Claims;
using McpSseAuth.Users;
using Microsoft.Extensions.Options;

namespace McpSseAuth.UserTokens;

/// <summary>The tools' view of a user's tokens: only ever the tokens of the principal passed in.</summary>
internal sealed class McpUserTokens(UpstreamTokenStore upstream, UserSecrets secrets, IOptions<McpOAuthOptions> options) : IMcpUserTokens
{
    // Below the form reader's bound on any field (8 KiB), so the page can say what is wrong itself.
    public const int MaxServiceTokenLength = 4096;
    private const string ServiceSlotPrefix = "service:";

    public async ValueTask<string?> GetUpstreamAccessTokenAsync(ClaimsPrincipal user, CancellationToken cancellationToken = default)
        => (await upstream.GetCurrentAsync(SubjectOf(user), cancellationToken))?.AccessToken;

    public async ValueTask<McpUpstreamToken?> GetUpstreamTokenAsync(ClaimsPrincipal user, CancellationToken cancellationToken = default)
        => await upstream.GetCurrentAsync(SubjectOf(user), cancellationToken) is { } tokens
            ? new McpUpstreamToken(tokens.Scheme, tokens.AccessToken, tokens.ExpiresAt)
            : null;

    public ValueTask<string?> GetServiceTokenAsync(ClaimsPrincipal user, string service, CancellationToken cancellationToken = default)
        => secrets.ReadAsync(SubjectOf(user), Slot(service), cancellationToken);

    public ValueTask SetServiceTokenAsync(ClaimsPrincipal user, string service, string token, CancellationToken cancellationToken = default)
    {
        var slot = Slot(service);
        if (ServiceTokenProblem(token, options.Value.ServiceTokens.First(s => string.Equals(s.Name, service, StringComparison.Ordinal))) is { } problem)
        {
            throw new ArgumentException(problem, nameof(token));
        }

        return secrets.WriteAsync(SubjectOf(user), slot, token, cancellationToken);
    }

    public ValueTask<bool> DeleteServiceTokenAsync(ClaimsPrincipal user, string service, CancellationToken cancellationToken = default)
        => secrets.RemoveAsync(SubjectOf(user), Slot(service), cancellationToken);

    /// <summary>Which configured services the user has a token for.</summary>
    public async ValueTask<HashSet<string>> StoredServicesAsync(ClaimsPrincipal user, CancellationToken cancellationToken)
        => [.. (await secrets.ListAsync(SubjectOf(user), cancellationToken)).Where(s => s.StartsWith(ServiceSlotPrefix, StringComparison.Ordinal)).Select(s => s[ServiceSlotPrefix.Length..])];

    /// <summary>Null when acceptable for <paramref name="service"/>, else what is wrong, in words for the page.</summary>
    public static string? ServiceTokenProblem(string token, McpServiceTokenDefinition service)
    {
        if (token.Length == 0)
        {
            return "The token is empty.";
        }

        if (token.Length > MaxServiceTokenLength)
        {
            return $"The token is longer than {MaxServiceTokenLength} characters.";
        }

        if (token.Any(c => c < 0x21 || c > 0x7E))
        {
            return "The token may contain printable ASCII characters only, without spaces.";
        }

        return service.Format is { } format && !FormatMatches(format, token)
            ? $"That does not look like a {service.DisplayName} token. Check that you copied all of it, and that it is the right kind."
            : null;
    }

    /// <summary>Whether the whole token matches the service's format; bounded in time, so no format can stall a request.</summary>
    public static bool FormatMatches(string format, string token)
    {
        try
        {
            return System.Text.RegularExpressions.Regex.IsMatch(token, $"^(?:{format})$", System.Text.RegularExpressions.RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));
        }
        catch (System.Text.RegularExpressions.RegexMatchTimeoutException)
        {
            return false;
        }
    }

    private string Slot(string service)
    {
        ArgumentNullException.ThrowIfNull(service);
        if (!options.Value.ServiceTokens.Any(s => string.Equals(s.Name, service, StringComparison.Ordinal)))
        {
            throw new ArgumentException($"'{service}' is not a configured service. Add it with McpOAuthOptions.AddServiceToken(\"{service}\", ...).", nameof(service));
        }

        return ServiceSlotPrefix + service;
    }

    private static string SubjectOf(ClaimsPrincipal user)
    {
        ArgumentNullException.ThrowIfNull(user);
        return SignedInUser.From(user)?.Subject
               ?? throw new ArgumentException("The principal is not an authenticated user with a 'sub' claim. Pass the MCP request's user (RequestContext.User).", nameof(user));
    }
}
