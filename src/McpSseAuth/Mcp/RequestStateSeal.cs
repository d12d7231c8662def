using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using McpSseAuth.Users;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.WebUtilities;

namespace McpSseAuth.Mcp;

/// <summary>
/// <see cref="IMcpRequestState"/> with a Data Protection purpose of its own: the sealed payload names the subject, the
/// client, the operation and the expiry (read from <see cref="TimeProvider"/>), and each is compared when it comes back.
/// </summary>
internal sealed class RequestStateSeal(IDataProtectionProvider dataProtection, TimeProvider time) : IMcpRequestState
{
    public static readonly TimeSpan DefaultLifetime = TimeSpan.FromMinutes(10);

    private readonly IDataProtector _protector = dataProtection.CreateProtector("McpSseAuth.RequestState.v1");

    public string Seal(ClaimsPrincipal user, string operation, string state, TimeSpan? lifetime = null)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(operation);
        ArgumentNullException.ThrowIfNull(state);
        var (subject, clientId) = Caller(user)
            ?? throw new InvalidOperationException("Request state is sealed for the caller of an MCP request: pass the tool's RequestContext.User, which carries the token's sub and client_id.");
        var lasts = lifetime ?? DefaultLifetime;
        if (lasts <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(lifetime), lifetime, "The lifetime must be positive.");
        }

        var payload = new SealedState(subject, clientId, operation, time.GetUtcNow().Add(lasts).ToUnixTimeSeconds(), state);
        return WebEncoders.Base64UrlEncode(_protector.Protect(JsonSerializer.SerializeToUtf8Bytes(payload, RequestStateJson.Default.SealedState)));
    }

    public string? Open(ClaimsPrincipal user, string operation, string? sealedState)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(operation);
        if (string.IsNullOrEmpty(sealedState) || sealedState.Length > 64 * 1024 || Caller(user) is not var (subject, clientId))
        {
            return null;
        }

        SealedState? payload;
        try
        {
            payload = JsonSerializer.Deserialize(_protector.Unprotect(WebEncoders.Base64UrlDecode(sealedState)), RequestStateJson.Default.SealedState);
        }
        catch (Exception e) when (e is CryptographicException or FormatException or JsonException)
        {
            return null;   // changed, or sealed by another server's keys
        }

        return payload is not null
            && payload.Subject == subject && payload.ClientId == clientId && payload.Operation == operation
            && time.GetUtcNow().ToUnixTimeSeconds() < payload.ExpiresAt
            ? payload.State
            : null;
    }

    private static (string Subject, string ClientId)? Caller(ClaimsPrincipal user)
        => user.Identity?.IsAuthenticated == true && SignedInUser.SubjectOf(user) is { Length: > 0 } subject && user.FindFirst("client_id")?.Value is { Length: > 0 } clientId
            ? (subject, clientId)
            : null;
}

internal sealed record SealedState(
    [property: JsonPropertyName("s")] string Subject,
    [property: JsonPropertyName("c")] string ClientId,
    [property: JsonPropertyName("o")] string Operation,
    [property: JsonPropertyName("e")] long ExpiresAt,
    [property: JsonPropertyName("v")] string State);

[JsonSerializable(typeof(SealedState))]
internal sealed partial class RequestStateJson : JsonSerializerContext;
