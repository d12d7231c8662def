namespace McpSseAuth.Tests.Infrastructure;

/// <summary>One real oidc-provider for a whole test class (xUnit class fixture): starting node costs about a second.</summary>
public sealed class OidcProviderFixture : IAsyncLifetime
{
    private OidcProvider? _provider;

    public OidcProvider Provider => _provider ?? throw new InvalidOperationException("The provider has not started.");

    public async Task InitializeAsync() => _provider = await OidcProvider.StartAsync();

    public async Task DisposeAsync()
    {
        if (_provider is not null)
        {
            await _provider.DisposeAsync();
        }
    }
}
