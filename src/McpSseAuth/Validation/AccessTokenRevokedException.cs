using Microsoft.IdentityModel.Tokens;

namespace McpSseAuth.Validation;

/// <summary>The access token is genuine and unexpired, but its grant was revoked.</summary>
internal sealed class AccessTokenRevokedException(string message) : SecurityTokenValidationException(message);
