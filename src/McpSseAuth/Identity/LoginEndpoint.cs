using McpSseAuth.Http;
using McpSseAuth.Pages;
using McpSseAuth.Users;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;

namespace McpSseAuth.Identity;

/// <summary>
/// The login page: a button per remote sign-in scheme (<see cref="McpOAuthSignInOptions.Schemes"/>, posting
/// <c>provider</c>) and, when there are local users, a form posting <c>username</c> and <c>password</c>. On success the
/// user is signed in to <see cref="McpOAuthDefaults.SignInCookieScheme"/> and sent back to the authorization request.
/// </summary>
internal sealed class LoginEndpoint(
    IAntiforgery antiforgery,
    SignInThrottle throttle,
    ExternalSignIn externalSignIn,
    IAuthenticationSchemeProvider schemes,
    UserStatus users,
    PageWriter pages,
    IOptions<McpOAuthOptions> options,
    Telemetry.SecurityAudit audit,
    UserDirectory directory)
{
    private const string ReturnUrlField = "ReturnUrl";

    public async Task HandleGetAsync(HttpContext context)
    {
        var returnUrl = context.Request.Query[ReturnUrlField].ToString();
        if (!IsSafeReturnUrl(context, returnUrl))
        {
            returnUrl = "";
        }

        // A link, not a form: CSP form-action would otherwise have to allow every provider's origin for the redirect.
        // Starting a sign-in is harmless; the provider's callback is protected by the scheme's correlation cookie.
        if (context.Request.Query["provider"] is [{ } provider])
        {
            if (!options.Value.SignIn.Schemes.Contains(provider, StringComparer.Ordinal))
            {
                await WritePageAsync(context, 400, returnUrl, "", "That sign-in method is not offered here.");
                return;
            }

            await externalSignIn.ChallengeAsync(context, provider, returnUrl, anotherAccount: context.Request.Query["prompt"] == "login");
            return;
        }

        // A fixed message: the error parameter only selects it, so nothing from the query is reflected.
        var problem = context.Request.Query["error"] == "upstream"
            ? "Signing in with the identity provider did not complete: it was cancelled or failed. Try again."
            : null;
        await WritePageAsync(context, 200, returnUrl, userName: "", problem);
    }

    public async Task HandlePostAsync(HttpContext context)
    {
        if (await HtmlForm.ReadAsync(context, antiforgery) is not { } parameters)
        {
            return;
        }

        var returnUrl = parameters[ReturnUrlField] ?? "";
        if (!IsSafeReturnUrl(context, returnUrl))
        {
            returnUrl = "";
        }

        var userName = parameters["username"] ?? "";
        var password = parameters["password"] ?? "";
        // The users as configured now: a reload adds and removes them without a restart.
        var user = users.Current.Users.FirstOrDefault(u => string.Equals(u.UserName, userName, StringComparison.OrdinalIgnoreCase));
        if (!throttle.IsAllowed(context, userName))
        {
            await audit.LocalSignInFailedAsync(context, user?.UserName, throttled: true);
            context.Response.Headers.RetryAfter = ((int)options.Value.SignIn.FailedAttemptWindow.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
            await WritePageAsync(context, StatusCodes.Status429TooManyRequests, returnUrl, userName, "Too many failed sign-ins. Wait a few minutes, then try again.");
            return;
        }

        if (!LocalUserPasswords.Verify(user, userName, password, options.Value.SignIn.PasswordHashIterations))
        {
            throttle.RecordFailure(context, userName);
            // Only a known user name is logged: an unknown one is often a password typed into the wrong field.
            await audit.LocalSignInFailedAsync(context, user?.UserName, throttled: false);
            await WritePageAsync(context, 200, returnUrl, userName, "The user name or password is not correct.");
            return;
        }

        if (!await users.EnforceAsync(user!.UserName, context.RequestAborted))
        {
            await audit.SignInRefusedAsync(context, "local", user.UserName, "the user has no access");
            await WritePageAsync(context, StatusCodes.Status403Forbidden, returnUrl, userName, "This account may not sign in here any more. Ask the server's administrator.");
            return;
        }

        await context.SignInAsync(McpOAuthDefaults.SignInCookieScheme, SignedInUser.CreateLocal(user!));
        await audit.SignedInAsync(context, "local", user!.UserName, user.UserName);
        await directory.NoteSignInAsync(user.UserName, user.DisplayName ?? user.UserName, "local", context.RequestAborted);
        if (returnUrl.Length == 0)
        {
            await Account.AccountPages.WriteSignedInAsync(context, options.Value);
            return;
        }

        context.Response.Redirect(returnUrl);
    }

    private bool IsSafeReturnUrl(HttpContext context, string returnUrl) => ReturnUrls.IsSafe(context, options.Value, returnUrl);

    private async Task WritePageAsync(HttpContext context, int status, string returnUrl, string userName, string? problem)
    {
        var o = options.Value;
        var action = (context.Request.PathBase + o.Paths.Login).ToUriComponent();
        var providers = new List<ProviderLink>();
        foreach (var name in o.SignIn.Schemes)
        {
            var displayName = (await schemes.GetSchemeAsync(name))?.DisplayName ?? name;
            providers.Add(new ProviderLink(displayName, QueryHelpers.AddQueryString(action, new Dictionary<string, string?> { ["provider"] = name, [ReturnUrlField] = returnUrl.Length == 0 ? null : returnUrl })));
        }

        var view = new LoginView(problem, providers, ShowForm: o.Users.Count > 0 || o.SignIn.Schemes.Count == 0, action, ReturnUrlField, returnUrl, userName, antiforgery.GetAndStoreTokens(context));
        await pages.WriteAsync<LoginPage>(context, status, pages.Texts.SignInTitle, view);
    }
}
