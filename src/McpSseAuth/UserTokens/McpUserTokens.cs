using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using McpSseAuth.Users;
using Microsoft.Extensions.Options;

namespace McpSseAuth.UserTokens;

/// <summary>The tools' view of a user's tokens: only ever the tokens of the principal passed in.</summary>
internal sealed class McpUserTokens(UpstreamTokenStore upstream, UserSecrets secrets, IOptions<McpOAuthOptions> options) : IMcpUserTokens
{
    // Below the form reader's bound on any field (8 KiB), so the page can say what is wrong itself.
    public const int MaxServiceTokenLength = 4096;
    private const string ServiceSlotPrefix = "service:";
    private const string ConnectedSlotPrefix = "connected:";
    private const string LostSlotPrefix = "connection-lost:";

    public async ValueTask<string?> GetUpstreamAccessTokenAsync(ClaimsPrincipal user, CancellationToken cancellationToken = default)
        => (await upstream.GetCurrentAsync(SubjectOf(user), cancellationToken))?.AccessToken;

    public async ValueTask<McpUpstreamToken?> GetUpstreamTokenAsync(ClaimsPrincipal user, CancellationToken cancellationToken = default)
        => await upstream.GetCurrentAsync(SubjectOf(user), cancellationToken) is { } tokens
            ? new McpUpstreamToken(tokens.Scheme, tokens.AccessToken, tokens.ExpiresAt)
            : null;

    public async ValueTask<string?> GetServiceTokenAsync(ClaimsPrincipal user, string service, CancellationToken cancellationToken = default)
    {
        var definition = Definition(service);
        var subject = SubjectOf(user);
        if (definition.ConnectScheme is null)
        {
            return await secrets.ReadAsync(subject, ServiceSlotPrefix + service, cancellationToken);
        }

        // A connected account: its access token, refreshed first when it is about to expire; a refresh the provider
        // refuses for good marks the connection lost, for the page to ask the user to connect again.
        var tokens = await upstream.GetCurrentAsync(subject, ConnectedSlotPrefix + service, () => secrets.WriteAsync(subject, LostSlotPrefix + service, "lost", CancellationToken.None), cancellationToken);
        return tokens?.AccessToken;
    }

    public ValueTask SetServiceTokenAsync(ClaimsPrincipal user, string service, string token, CancellationToken cancellationToken = default)
    {
        var definition = Definition(service);
        if (definition.ConnectScheme is not null)
        {
            throw new ArgumentException($"'{service}' is connected through its provider on the service-tokens page; its token is not set by hand.", nameof(service));
        }

        if (ServiceTokenProblem(token, definition) is { } problem)
        {
            throw new ArgumentException(problem, nameof(token));
        }

        return secrets.WriteAsync(SubjectOf(user), ServiceSlotPrefix + service, token, cancellationToken);
    }

    public async ValueTask<bool> DeleteServiceTokenAsync(ClaimsPrincipal user, string service, CancellationToken cancellationToken = default)
    {
        Definition(service);
        var subject = SubjectOf(user);
        var pasted = await secrets.RemoveAsync(subject, ServiceSlotPrefix + service, cancellationToken);
        var connected = await secrets.RemoveAsync(subject, ConnectedSlotPrefix + service, cancellationToken);
        var lost = await secrets.RemoveAsync(subject, LostSlotPrefix + service, cancellationToken);
        return pasted || connected || lost;
    }

    /// <summary>Keeps the tokens of a connection the user just made (the scheme's <c>SaveTokens</c> result). False when the provider gave no access token.</summary>
    public async ValueTask<bool> SaveConnectionAsync(string subject, McpServiceTokenDefinition service, AuthenticationProperties properties, CancellationToken cancellationToken)
    {
        if (!await upstream.SaveAsync(subject, ConnectedSlotPrefix + service.Name, service.ConnectScheme!, properties, cancellationToken))
        {
            return false;
        }

        await secrets.RemoveAsync(subject, LostSlotPrefix + service.Name, cancellationToken);
        return true;
    }

    /// <summary>Which configured services the user has a token or a connection for, and which connections were lost.</summary>
    public async ValueTask<(HashSet<string> Stored, HashSet<string> Lost)> StoredServicesAsync(ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        var slots = await secrets.ListAsync(SubjectOf(user), cancellationToken);
        return (
            [.. slots.Select(s => s.StartsWith(ServiceSlotPrefix, StringComparison.Ordinal) ? s[ServiceSlotPrefix.Length..] : s.StartsWith(ConnectedSlotPrefix, StringComparison.Ordinal) ? s[ConnectedSlotPrefix.Length..] : null).OfType<string>()],
            [.. slots.Where(s => s.StartsWith(LostSlotPrefix, StringComparison.Ordinal)).Select(s => s[LostSlotPrefix.Length..])]);
    }

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
    private static bool FormatMatches(string format, string token)
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

    private McpServiceTokenDefinition Definition(string service)
    {
        ArgumentNullException.ThrowIfNull(service);
        return options.Value.ServiceTokens.FirstOrDefault(s => string.Equals(s.Name, service, StringComparison.Ordinal))
               ?? throw new ArgumentException($"'{service}' is not a configured service. Add it with McpOAuthOptions.AddServiceToken(\"{service}\", ...).", nameof(service));
    }

    private static string SubjectOf(ClaimsPrincipal user)
    {
        ArgumentNullException.ThrowIfNull(user);
        return SignedInUser.From(user)?.Subject
               ?? throw new ArgumentException("The principal is not an authenticated user with a 'sub' claim. Pass the MCP request's user (RequestContext.User).", nameof(user));
    }
}
