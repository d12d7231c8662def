namespace McpSseAuth;

/// <summary>
/// How users sign in to the authorization server, who may, and how soon one who lost access loses everything: the
/// <c>SignIn</c> section of the configuration. Local users are <see cref="McpOAuthOptions.Users"/>.
/// </summary>
public sealed class McpOAuthSignInOptions
{
    /// <summary>How long a sign-in to the authorization server is remembered. Default 8 hours.</summary>
    public TimeSpan Lifetime { get; set; } = TimeSpan.FromHours(8);

    /// <summary>
    /// Remote authentication schemes users may sign in with, by scheme name: any scheme registered with
    /// <c>AddOpenIdConnect</c>, <c>AddGoogle</c>, <c>AddOAuth</c> (GitHub, ...) and the like. McpSseAuth takes over their
    /// sign-in: it sets their <c>SignInScheme</c> to <see cref="McpOAuthDefaults.ExternalCookieScheme"/> and
    /// <c>SaveTokens</c> to true, applies <see cref="AccessRules"/>, and keeps their tokens encrypted for tools.
    /// The login page offers each of them, besides the form for <see cref="McpOAuthOptions.Users"/> when there are any.
    /// </summary>
    public IList<string> Schemes { get; } = [];

    /// <summary>
    /// The scheme a user is sent to straight away when they must sign in, skipping the login page: one of
    /// <see cref="Schemes"/>. Null shows the login page, except when there are no local users and exactly one sign-in
    /// scheme, which is then used directly.
    /// </summary>
    public string? ChallengeScheme { get; set; }

    /// <summary>Who may sign in through <see cref="Schemes"/>. Empty rules let every upstream user in.</summary>
    public McpOAuthAccessRules AccessRules { get; } = new();

    /// <summary>A stored upstream access token is refreshed when it expires within this margin. Default 1 minute.</summary>
    public TimeSpan UpstreamTokenRefreshMargin { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Failed sign-ins allowed per user name within <see cref="FailedAttemptWindow"/> (five times as many per client
    /// address); beyond that the login page answers 429 until the window ends. Default 10.
    /// </summary>
    public int MaxFailedAttempts { get; set; } = 10;

    /// <summary>The window of <see cref="MaxFailedAttempts"/>. Default 5 minutes.</summary>
    public TimeSpan FailedAttemptWindow { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// PBKDF2-HMAC-SHA512 iterations of the password hashes that <see cref="McpOAuthOptions.AddUser"/> makes, and of the
    /// hash an unknown user name is checked against (so it takes as long as a known one). Default 210,000, the figure of
    /// OWASP's Password Storage Cheat Sheet; at least 10,000 (NIST SP 800-63B). Each sign-in with the form costs one hash
    /// (about 0.1 s of one core at the default on a 2020s server CPU), which bounds sign-ins per second per core: a guess
    /// costs an attacker who stole the hashes as much. A hash keeps the count it was made with (it is written in it), so
    /// changing this leaves configured hashes valid; make new ones with <see cref="McpOAuthUser.HashPassword(string, string, int)"/>.
    /// </summary>
    public int PasswordHashIterations { get; set; } = LocalUserPasswords.DefaultIterations;

    /// <summary>
    /// How soon a user who lost access loses everything (default 30 seconds): a user removed from or disabled in
    /// <see cref="McpOAuthOptions.Users"/>, an upstream user who no longer passes <see cref="AccessRules"/> or whose
    /// provider refused to renew their upstream token, or one an <see cref="IMcpUserStatus"/> turns away. The decision is
    /// remembered this long per user, and live sessions are checked this often; a change of configuration applies at once.
    /// </summary>
    public TimeSpan UserStatusInterval { get; set; } = TimeSpan.FromSeconds(30);
}
