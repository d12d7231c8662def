namespace McpSseAuth;

/// <summary>
/// The words of the authorization server's pages. A text with <c>{0}</c>, <c>{1}</c>, ... has values put in those places
/// (encoded, often in bold); keep each placeholder when you reword it. Error descriptions are not here: they are the
/// library's messages, listed in docs/errors.md.
/// </summary>
public sealed class McpOAuthPageTexts
{
    /// <summary>The <c>lang</c> of every page.</summary>
    public string Language { get; set; } = "en";

    /// <summary>Title of the login page.</summary>
    public string SignInTitle { get; set; } = "Sign in";

    /// <summary>A remote sign-in button; {0} is the scheme's display name.</summary>
    public string SignInWith { get; set; } = "Sign in with {0}";

    /// <summary>Above the local form when remote sign-in is offered too.</summary>
    public string OrLocalAccount { get; set; } = "Or with a local account:";

    /// <summary>Label of the user name field.</summary>
    public string UserName { get; set; } = "User name";

    /// <summary>Label of the password field.</summary>
    public string Password { get; set; } = "Password";

    /// <summary>The login form's button.</summary>
    public string SignInButton { get; set; } = "Sign in";

    /// <summary>Title of the consent page.</summary>
    public string ConsentTitle { get; set; } = "Allow access?";

    /// <summary>The consent question; {0} the application, {1} the servers, {2} the user.</summary>
    public string ConsentRequest { get; set; } = "{0} wants to access {1} as {2}.";

    /// <summary>The name of an application that gave none.</summary>
    public string UnnamedApplication { get; set; } = "An unnamed application";

    /// <summary>Where the user goes next; {0} the host of the redirect URI.</summary>
    public string ConsentRedirect { get; set; } = "After you decide, you will be sent to {0}.";

    /// <summary>For a client ID metadata document client; {0} the host it was fetched from.</summary>
    public string ConsentPublisher { get; set; } = "The application is published by {0} (verified: its description was fetched from there).";

    /// <summary>For a registered client that named itself.</summary>
    public string ConsentUnverifiedName { get; set; } = "The name above was given by the application itself and is not verified.";

    /// <summary>Above the list of scopes.</summary>
    public string ConsentAbilities { get; set; } = "It will be able to:";

    /// <summary>Below the scopes; {0} a link to the connected-apps page.</summary>
    public string ConsentRemembered { get; set; } = "If you allow, this is remembered for this application; you can take it back on {0}.";

    /// <summary>The consent page's allow button.</summary>
    public string Allow { get; set; } = "Allow";

    /// <summary>The consent page's deny button.</summary>
    public string Deny { get; set; } = "Deny";

    /// <summary>The account pages' navigation; {0} the user's name.</summary>
    public string SignedInAs { get; set; } = "Signed in as {0}";

    /// <summary>Title of, and links to, the connected-apps page.</summary>
    public string ConnectedAppsTitle { get; set; } = "Connected apps";

    /// <summary>Title of, and links to, the service-tokens page.</summary>
    public string ServiceTokensTitle { get; set; } = "Service tokens";

    /// <summary>The link to sign out.</summary>
    public string SignOut { get; set; } = "Sign out";

    /// <summary>Where an application sends the user; {0} its redirect hosts.</summary>
    public string SendsYouBackTo { get; set; } = "Sends you back to {0}";

    /// <summary>When the user allowed an application; {0} the date.</summary>
    public string AllowedOn { get; set; } = "Allowed {0}.";

    /// <summary>An application without a live grant.</summary>
    public string NoActiveSignIn { get; set; } = "No active sign-in.";

    /// <summary>When an application last used its grant; {0} the date.</summary>
    public string LastUsed { get; set; } = "Last used {0}.";

    /// <summary>An application with one live MCP session.</summary>
    public string ConnectedNowOne { get; set; } = "Connected now (1 session).";

    /// <summary>An application with several live MCP sessions; {0} how many.</summary>
    public string ConnectedNowMany { get; set; } = "Connected now ({0} sessions).";

    /// <summary>The button that revokes an application.</summary>
    public string RevokeAccess { get; set; } = "Revoke access";

    /// <summary>The connected-apps page without applications.</summary>
    public string NoConnectedApps { get; set; } = "No application has access to this server on your behalf.";

    /// <summary>After a revocation.</summary>
    public string AccessRevoked { get; set; } = "Access revoked. The application must ask you again to connect.";

    /// <summary>Above the service tokens.</summary>
    public string ServiceTokensIntro { get; set; } = "Tools of this server use these tokens on your behalf, and only for you. They are stored encrypted and never shown again.";

    /// <summary>The service-tokens page without services.</summary>
    public string NoServiceTokens { get; set; } = "This server uses no service tokens.";

    /// <summary>A service with a stored token.</summary>
    public string TokenStored { get; set; } = "A token is stored.";

    /// <summary>A service without one.</summary>
    public string NoTokenStored { get; set; } = "No token stored.";

    /// <summary>The link to where users get a token (<see cref="McpServiceTokenDefinition.HelpUrl"/>).</summary>
    public string TokenHelp { get; set; } = "Where to get one";

    /// <summary>A service users connect (<see cref="McpServiceTokenDefinition.ConnectScheme"/>), connected; also the notice after connecting.</summary>
    public string AccountConnected { get; set; } = "Connected.";

    /// <summary>A service users connect, not connected yet.</summary>
    public string NotConnected { get; set; } = "Not connected.";

    /// <summary>A connection its provider no longer refreshes.</summary>
    public string ConnectionLost { get; set; } = "The connection stopped working (it expired or was revoked): connect again.";

    /// <summary>The button that starts a connection.</summary>
    public string ConnectAccount { get; set; } = "Connect";

    /// <summary>Label of the token field when one is stored.</summary>
    public string ReplaceToken { get; set; } = "Replace the token";

    /// <summary>Label of the token field.</summary>
    public string Token { get; set; } = "Token";

    /// <summary>The button that stores a token.</summary>
    public string Save { get; set; } = "Save";

    /// <summary>The button that deletes a token.</summary>
    public string Delete { get; set; } = "Delete";

    /// <summary>After a token was stored.</summary>
    public string TokenSaved { get; set; } = "Token saved.";

    /// <summary>After a token was deleted.</summary>
    public string TokenDeleted { get; set; } = "Token deleted.";

    /// <summary>The sign-out question.</summary>
    public string SignOutQuestion { get; set; } = "Sign out of this authorization server? Applications keep the access they were granted.";

    /// <summary>Title of the page after signing out.</summary>
    public string SignedOutTitle { get; set; } = "Signed out";

    /// <summary>The page after signing out.</summary>
    public string SignedOut { get; set; } = "You are signed out.";

    /// <summary>Title of the page after a sign-in that was not for an application.</summary>
    public string SignedInTitle { get; set; } = "Signed in";

    /// <summary>That page; {0} a link to the connected-apps page.</summary>
    public string SignedIn { get; set; } = "You are signed in. Return to the application to continue, or see your {0}.";

    /// <summary>Title of an error page.</summary>
    public string ErrorTitle { get; set; } = "Authorization failed";

    /// <summary>Below an error; {0} its OAuth error code.</summary>
    public string ErrorHelp { get; set; } = "Error code: {0}. Return to the application and try again; if it keeps happening, tell the application's developer.";

    /// <summary>The link that takes an error back to the application; {0} its host.</summary>
    public string ReturnTo { get; set; } = "Return to {0}";

    /// <summary>Title of the page of a user an access rule kept out.</summary>
    public string AccessDeniedTitle { get; set; } = "Access denied";

    /// <summary>That page, below the reason.</summary>
    public string NotSignedIn { get; set; } = "You have not been signed in, and the application has been given no access.";

    /// <summary>That page's link back to the application; {0} its host.</summary>
    public string ReturnToApplication { get; set; } = "Return to the application ({0})";

    /// <summary>That page's link to sign in again at the provider.</summary>
    public string SignInWithAnotherAccount { get; set; } = "Sign in with another account";

    /// <summary>Title of the page for a request over http to an https server.</summary>
    public string UseHttpsTitle { get; set; } = "Use https";

    /// <summary>Title of the page when the storage cannot be reached.</summary>
    public string UnavailableTitle { get; set; } = "Temporarily unavailable";
}
