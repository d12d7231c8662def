using Microsoft.Extensions.Options;

namespace McpSseAuth.Hosting;

/// <summary>
/// Checks <see cref="McpOAuthOptions"/> at startup, a group of settings per file (tokens, sign-in, clients, limits); each
/// message says how to fix the setting.
/// </summary>
internal sealed class McpOAuthOptionsValidator : IValidateOptions<McpOAuthOptions>
{
    public ValidateOptionsResult Validate(string? name, McpOAuthOptions options)
    {
        var failures = new List<string>();

        TokenOptionsChecks.Check(options, failures);
        SignInOptionsChecks.Check(options, failures);
        ClientOptionsChecks.Check(options, failures);
        LimitOptionsChecks.Check(options, failures);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
