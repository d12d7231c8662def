using McpSseAuth.Clients;
using McpSseAuth.Http;

namespace McpSseAuth.Tokens;

/// <summary>A request to the token, revocation or introspection endpoint: its form, read once, and its authenticated client.</summary>
internal sealed record TokenRequest(OAuthParameters Parameters, ClientRegistration Client);
