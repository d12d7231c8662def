using Microsoft.Extensions.Options;

namespace McpSseAuth.Hosting;

/// <summary>
/// Checks <see cref="McpOAuthOptions"/> at startup, group by group (server and paths, tokens, signing, scopes, clients,
/// sign-in, sessions); each message names the setting by its path and says how to fix it.
/// </summary>
internal sealed class McpOAuthOptionsValidator : IValidateOptions<McpOAuthOptions>
{
    public ValidateOptionsResult Validate(string? name, McpOAuthOptions options)
    {
        var failures = new List<string>();

        ServerOptionsChecks.Check(options, failures);
        TokenOptionsChecks.Check(options.Tokens, failures);
        TokenOptionsChecks.Check(options.Signing, failures);
        TokenOptionsChecks.Check(options.Dpop, options.Clients, failures);
        EnterpriseOptionsChecks.Check(options, failures);
        ScopeOptionsChecks.Check(options.Scopes, failures);
        ClientOptionsChecks.Check(options, failures);
        SignInOptionsChecks.Check(options, failures);
        SessionOptionsChecks.Check(options.Sessions, failures);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
