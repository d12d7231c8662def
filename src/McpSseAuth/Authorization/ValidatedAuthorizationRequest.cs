using McpSseAuth.Clients;

namespace McpSseAuth.Authorization;

/// <summary>
/// A checked authorization request (RFC 6749 §4.1.1 with PKCE and RFC 8707): what the consent and the code carry;
/// <c>DpopJkt</c>, the DPoP key the code is bound to (RFC 9449 §10), when the client named one.
/// </summary>
internal sealed record ValidatedAuthorizationRequest(
    ClientRegistration Client,
    string RedirectUri,
    bool RedirectUriGiven,
    string? State,
    string CodeChallenge,
    IReadOnlyList<string> Scopes,
    IReadOnlyList<string> Resources,
    IReadOnlySet<string> Prompt,
    string? DpopJkt = null);
