using McpSseAuth.Users;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace McpSseAuth.Hosting;

/// <summary>
/// Rebuilds <see cref="McpOAuthOptions"/> (its configure delegates run again) when the app's configuration reloads, so
/// <see cref="UserStatus"/> sees users removed or disabled, and access rules changed, without a restart. Without an
/// <see cref="IConfiguration"/> in the container, nothing reloads.
/// </summary>
internal sealed class ConfigurationReload(IServiceProvider services) : IOptionsChangeTokenSource<McpOAuthOptions>
{
    public string? Name => Microsoft.Extensions.Options.Options.DefaultName;

    public IChangeToken GetChangeToken() => services.GetService<IConfiguration>()?.GetReloadToken() ?? Microsoft.Extensions.FileProviders.NullChangeToken.Singleton;
}
