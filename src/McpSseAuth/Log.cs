using Microsoft.Extensions.Logging;

namespace McpSseAuth;

/// <summary>Every log message of McpSseAuth, with stable event ids (1xxx). Never logs secrets or tokens.</summary>
internal static partial class Log
{
    /// <summary>Values from the request (client ids, user names) are logged at most 64 characters long.</summary>
    public static string? Short(string? value) => value is { Length: > 64 } ? value[..64] + "…" : value;

    // 1001 and 1002 (a single signing key created / loaded) are retired: the key ring logs 1701-1705.

    [LoggerMessage(1003, LogLevel.Warning, "No McpOAuthOptions.Issuer is set: the issuer is derived from each request's Host. Set it in production.", EventName = "IssuerDerivedFromRequest")]
    public static partial void IssuerDerivedFromRequest(ILogger logger);

    [LoggerMessage(1004, LogLevel.Warning, "No signing key and no McpOAuthOptions.Signing.KeyDirectory: the key lives in memory, so every restart invalidates all access tokens. Set Signing.KeyDirectory or Signing.Credentials.", EventName = "SigningKeyInMemory")]
    public static partial void SigningKeyInMemory(ILogger logger);

    // Once per process: one misconfigured proxy (or a scanner) must not flood the log.
    [LoggerMessage(1005, LogLevel.Warning, "A page request to {Path} arrived over http while the issuer is https: answered 421 (said once). Behind a proxy that ends TLS, trust its X-Forwarded-Proto with app.UseForwardedHeaders().", EventName = "PageRequestOverHttp")]
    public static partial void PageRequestOverHttp(ILogger logger, string path);

    [LoggerMessage(1101, LogLevel.Information, "Registered client {ClientId} ({ClientName}).", EventName = "ClientRegistered")]
    public static partial void ClientRegistered(ILogger logger, string clientId, string? clientName);

    [LoggerMessage(1102, LogLevel.Information, "Refused a client registration: {Error} {Description}", EventName = "ClientRegistrationRefused")]
    public static partial void ClientRegistrationRefused(ILogger logger, string error, string description);

    [LoggerMessage(1201, LogLevel.Information, "Refused an authorization request from client {ClientId}: {Error} {Description}", EventName = "AuthorizationRefused")]
    public static partial void AuthorizationRefused(ILogger logger, string? clientId, string error, string description);

    [LoggerMessage(1202, LogLevel.Information, "User {Subject} {Decision} client {ClientId} for {Resource}.", EventName = "ConsentDecided")]
    public static partial void ConsentDecided(ILogger logger, string subject, string decision, string clientId, string resource);

    [LoggerMessage(1203, LogLevel.Information, "User {UserName} signed in.", EventName = "UserSignedIn")]
    public static partial void UserSignedIn(ILogger logger, string userName);

    [LoggerMessage(1204, LogLevel.Warning, "A sign-in failed for user name {UserName}.", EventName = "SignInFailed")]
    public static partial void SignInFailed(ILogger logger, string userName);

    [LoggerMessage(1205, LogLevel.Warning, "Refused a sign-in attempt for user name {UserName} from {Address}: too many failures.", EventName = "SignInThrottled")]
    public static partial void SignInThrottled(ILogger logger, string userName, string? address);

    [LoggerMessage(1206, LogLevel.Warning, "Refused the sign-in of {Subject} through {Scheme}: {Reason}", EventName = "SignInRefused")]
    public static partial void SignInRefused(ILogger logger, string subject, string scheme, string reason);

    [LoggerMessage(1207, LogLevel.Information, "User {Subject} signed in through {Scheme}.", EventName = "UpstreamUserSignedIn")]
    public static partial void UpstreamUserSignedIn(ILogger logger, string subject, string scheme);

    [LoggerMessage(1208, LogLevel.Warning, "A sign-in through {Scheme} failed or was cancelled: {Reason}", EventName = "UpstreamSignInFailed")]
    public static partial void UpstreamSignInFailed(ILogger logger, string scheme, string reason);

    [LoggerMessage(1209, LogLevel.Information, "User {Subject} had already allowed client {ClientId} for {Resource}; consent not asked again.", EventName = "ConsentRemembered")]
    public static partial void ConsentRemembered(ILogger logger, string subject, string clientId, string resource);

    [LoggerMessage(1210, LogLevel.Information, "User {Subject} revoked client {ClientId} ({Count} grants).", EventName = "GrantsRevokedByUser")]
    public static partial void GrantsRevokedByUser(ILogger logger, string subject, string clientId, int count);

    [LoggerMessage(1211, LogLevel.Information, "Revoked access of {Subject} ({What}): {Grants} grants, {Consents} consents, {Sessions} sessions.", EventName = "AccessRevoked")]
    public static partial void AccessRevoked(ILogger logger, string subject, string what, int grants, int consents, int sessions);

    [LoggerMessage(1212, LogLevel.Information, "Refused a sign-in cookie of {Subject} issued before the user was signed out everywhere.", EventName = "SignInEnded")]
    public static partial void SignInEnded(ILogger logger, string subject);

    [LoggerMessage(1304, LogLevel.Information, "Client {ClientId} presented a just-rotated refresh token of grant {GrantId} again inside the reuse window; answered as before.", EventName = "RefreshTokenReused")]
    public static partial void RefreshReused(ILogger logger, string clientId, string grantId);

    [LoggerMessage(1214, LogLevel.Warning, "User {Subject} lost access ({Reason}): their grants, sessions, sign-ins and stored tokens are ended.", EventName = "UserAccessEnded")]
    public static partial void UserAccessEnded(ILogger logger, string subject, string reason);

    [LoggerMessage(1215, LogLevel.Warning, "Could not tell whether user {Subject} may keep access; asking again at the next sweep.", EventName = "UserStatusCheckFailed")]
    public static partial void UserStatusCheckFailed(ILogger logger, string subject, Exception exception);

    [LoggerMessage(1216, LogLevel.Warning, "Operator {Operator} {Action} of {Subject}: {Grants} grants, {Consents} consents, {Sessions} sessions ended.", EventName = "OperatorActed")]
    public static partial void OperatorActed(ILogger logger, string @operator, string action, string subject, int grants, int consents, int sessions);

    [LoggerMessage(1217, LogLevel.Warning, "Refused {Subject} the operator's view: {Reason}", EventName = "OperatorRefused")]
    public static partial void OperatorRefused(ILogger logger, string subject, string reason);

    [LoggerMessage(1213, LogLevel.Information, "Refused the client ID metadata document of {ClientId}: {Problem}", EventName = "ClientMetadataDocumentRefused")]
    public static partial void ClientMetadataDocumentRefused(ILogger logger, string clientId, string problem);

    [LoggerMessage(1301, LogLevel.Information, "Issued tokens to client {ClientId} for {Subject} by {GrantType}, audience {Audiences}.", EventName = "TokenIssued")]
    public static partial void TokenIssued(ILogger logger, string clientId, string subject, string grantType, string audiences);

    [LoggerMessage(1302, LogLevel.Information, "Refused a token request from client {ClientId}: {Error} {Description}", EventName = "TokenRefused")]
    public static partial void TokenRefused(ILogger logger, string? clientId, string error, string description);

    [LoggerMessage(1303, LogLevel.Warning, "A {Kind} of {Subject} was presented again after use by client {ClientId}; grant {GrantId} is revoked.", EventName = "TokenReplayed")]
    public static partial void TokenReplayed(ILogger logger, string kind, string clientId, string subject, string grantId);

    [LoggerMessage(1501, LogLevel.Information, "Refreshed the upstream access token of {Subject} with {Scheme}.", EventName = "UpstreamTokenRefreshed")]
    public static partial void UpstreamTokenRefreshed(ILogger logger, string subject, string scheme);

    [LoggerMessage(1502, LogLevel.Warning, "Could not refresh an upstream access token with {Scheme}: {Reason}", EventName = "UpstreamTokenRefreshFailed")]
    public static partial void UpstreamTokenRefreshFailed(ILogger logger, string scheme, string reason);

    [LoggerMessage(1503, LogLevel.Information, "The upstream access token of {Subject} from {Scheme} expired and there is no refresh token.", EventName = "UpstreamTokenExpired")]
    public static partial void UpstreamTokenExpired(ILogger logger, string subject, string scheme);

    [LoggerMessage(1504, LogLevel.Information, "User {Subject} saved a token for service {Service}.", EventName = "ServiceTokenSaved")]
    public static partial void ServiceTokenSaved(ILogger logger, string subject, string service);

    [LoggerMessage(1505, LogLevel.Information, "User {Subject} deleted the token for service {Service}.", EventName = "ServiceTokenDeleted")]
    public static partial void ServiceTokenDeleted(ILogger logger, string subject, string service);

    [LoggerMessage(1506, LogLevel.Warning, "A stored {Slot} of user {Subject} cannot be decrypted with this instance's Data Protection keys; persist and share the key ring.", EventName = "UserSecretUnreadable")]
    public static partial void UserSecretUnreadable(ILogger logger, string subject, string slot);

    [LoggerMessage(1507, LogLevel.Information, "User {Subject} connected their account of service {Service}.", EventName = "ServiceConnected")]
    public static partial void ServiceConnected(ILogger logger, string subject, string service);

    [LoggerMessage(1508, LogLevel.Warning, "Connecting an account of service scheme {Scheme} failed: {Reason}", EventName = "ServiceConnectionFailed")]
    public static partial void ServiceConnectionFailed(ILogger logger, string scheme, string reason);

    [LoggerMessage(1601, LogLevel.Information, "MCP session {SessionId} started over {Transport} for {Subject} through client {ClientId}.", EventName = "McpSessionStarted")]
    public static partial void McpSessionStarted(ILogger logger, string sessionId, string subject, string clientId, string transport);

    [LoggerMessage(1602, LogLevel.Information, "MCP session {SessionId} of {Subject} ended.", EventName = "McpSessionEnded")]
    public static partial void McpSessionEnded(ILogger logger, string sessionId, string subject);

    [LoggerMessage(1603, LogLevel.Information, "Ending MCP session {SessionId} of {Subject}: {Reason}.", EventName = "McpSessionEnding")]
    public static partial void McpSessionEnding(ILogger logger, string sessionId, string subject, string reason);

    [LoggerMessage(1604, LogLevel.Information, "Refused an MCP request at {Path}: {Reason} ({Status}).", EventName = "McpRequestRefused")]
    public static partial void McpRequestRefused(ILogger logger, string path, string reason, int status);

    [LoggerMessage(1305, LogLevel.Information, "Client {ClientId} revoked grant {GrantId} with its {Kind}.", EventName = "TokenRevoked")]
    public static partial void TokenRevoked(ILogger logger, string clientId, string grantId, string kind);

    [LoggerMessage(1306, LogLevel.Warning, "Client {ClientId} asked to revoke a {Kind} issued to another client; nothing was revoked.", EventName = "TokenRevocationRefused")]
    public static partial void TokenRevocationOfOther(ILogger logger, string clientId, string kind);

    [LoggerMessage(1401, LogLevel.Information, "Refused an access token at {Path}: {Reason}", EventName = "AccessTokenRefused")]
    public static partial void AccessTokenRefused(ILogger logger, string path, string reason);

    [LoggerMessage(1701, LogLevel.Information, "Created signing key {KeyId} ({Algorithm}): published now, signs from {Activates:O} until {Retires:O}.", EventName = "SigningKeyAdded")]
    public static partial void SigningKeyAdded(ILogger logger, string keyId, string algorithm, DateTimeOffset activates, DateTimeOffset retires);

    [LoggerMessage(1702, LogLevel.Information, "Signing key {KeyId} ({Algorithm}) now signs access tokens; the previous one only verifies until its tokens expire.", EventName = "SigningKeyActivated")]
    public static partial void SigningKeyActivated(ILogger logger, string keyId, string algorithm);

    [LoggerMessage(1703, LogLevel.Information, "Dropped signing key {KeyId}: every token it signed has expired.", EventName = "SigningKeyDropped")]
    public static partial void SigningKeyDropped(ILogger logger, string keyId);

    [LoggerMessage(1704, LogLevel.Information, "Adopted the existing signing-key.pem as signing key {KeyId} ({Algorithm}) of the key ring.", EventName = "LegacySigningKeyAdopted")]
    public static partial void LegacySigningKeyAdopted(ILogger logger, string keyId, string algorithm);

    [LoggerMessage(1705, LogLevel.Error, "Could not read or save the signing key ring; signing on with the current keys and trying again in {RetryDelay}.", EventName = "SigningKeyRingNotSaved")]
    public static partial void SigningKeyRingNotSaved(ILogger logger, TimeSpan retryDelay, Exception exception);

    [LoggerMessage(1801, LogLevel.Error, "The storage could not be reached: answered {Path} with 503.", EventName = "StorageUnavailable")]
    public static partial void StorageUnavailable(ILogger logger, string path, Exception exception);

    [LoggerMessage(1802, LogLevel.Warning, "A revocation is stored but could not be published to the other instances; they end its sessions at their next sweep.", EventName = "RevocationNotPublished")]
    public static partial void RevocationNotPublished(ILogger logger, Exception exception);

    [LoggerMessage(1803, LogLevel.Warning, "Could not subscribe to revocations from the other instances; trying again in 5 s.", EventName = "RevocationSubscriptionFailed")]
    public static partial void RevocationSubscriptionFailed(ILogger logger, Exception exception);

    [LoggerMessage(1804, LogLevel.Warning, "A message for SSE session {SessionId} was handed to instance {Instance}, which did not answer; answered 404.", EventName = "SseRelayUnanswered")]
    public static partial void SseRelayUnanswered(ILogger logger, string sessionId, string instance);

    [LoggerMessage(1805, LogLevel.Warning, "The SSE relay could not reach the bus or the storage; trying again.", EventName = "SseRelayUnavailable")]
    public static partial void SseRelaySubscriptionFailed(ILogger logger, Exception exception);

    [LoggerMessage(1806, LogLevel.Error, "A message relayed for SSE session {SessionId} failed.", EventName = "SseRelayFailed")]
    public static partial void SseRelayFailed(ILogger logger, string sessionId, Exception exception);

    [LoggerMessage(1807, LogLevel.Warning, "A request for Streamable HTTP session {SessionId} was handed to instance {Instance}, which {What}; answered {Answer}.", EventName = "StreamableRelayUnanswered")]
    public static partial void StreamableRelayUnanswered(ILogger logger, string sessionId, string instance, string what, string answer);

    [LoggerMessage(1808, LogLevel.Error, "A request relayed for Streamable HTTP session {SessionId} failed.", EventName = "StreamableRelayFailed")]
    public static partial void StreamableRelayFailed(ILogger logger, string sessionId, Exception exception);

    [LoggerMessage(1706, LogLevel.Warning, "The storage could not be read at startup: the signing key ring is read at first use, and token requests answer 503 until it can be.", EventName = "SigningKeyRingDeferred")]
    public static partial void SigningKeyRingDeferred(ILogger logger, Exception exception);

    [LoggerMessage(1307, LogLevel.Warning, "Issued tokens without saving the {What}: the storage did not take it.", EventName = "TokenBookkeepingSkipped")]
    public static partial void TokenBookkeepingSkipped(ILogger logger, string what, Exception exception);

    [LoggerMessage(1308, LogLevel.Warning, "Client {ClientId} presented a rotated refresh token of {Subject} after its successor was used; grant {GrantId} is revoked.", EventName = "RefreshReplayedAfterSuccessorUsed")]
    public static partial void RefreshReplayedAfterSuccessorUsed(ILogger logger, string clientId, string subject, string grantId);

    [LoggerMessage(1310, LogLevel.Warning, "Could not record the use of a grant's access token; the connected-apps page shows its earlier use.", EventName = "GrantUseNotSaved")]
    public static partial void GrantUseNotSaved(ILogger logger, Exception exception);

    [LoggerMessage(1309, LogLevel.Warning, "Client {ClientId} presented a refresh token of grant {GrantId} bound to a DPoP key without a proof of that key; refused, the token stays usable by its holder.", EventName = "RefreshKeyMismatch")]
    public static partial void RefreshKeyMismatch(ILogger logger, string clientId, string grantId);
}
