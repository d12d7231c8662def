using McpSseAuth.Storage;
using McpSseAuth.Users;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace McpSseAuth.Tests.Unit;

/// <summary>
/// The one user-status decision for upstream users: the access rules as configured now, against the user as last seen at
/// sign-in; the provider refusing to renew the user's token; a new sign-in through the provider restoring access.
/// </summary>
public sealed class UserStatusTests : IDisposable
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private readonly Monitor _options = new();
    private readonly RecordingUserAccess _access = new();
    private readonly UserStatus _status;

    public UserStatusTests()
    {
        _options.Value.SignIn.AccessRules.AllowedEmailDomains.Add("example.com");
        _status = new UserStatus(_options, new InMemoryOAuthStorage(_clock), [], new ServiceCollection().AddSingleton<IMcpUserAccess>(_access).BuildServiceProvider(), _clock, NullLogger<UserStatus>.Instance, Audit(_options, _clock));
    }

    public void Dispose() => _status.Dispose();

    /// <summary>The audit trail as the app has it, its log and metrics going nowhere.</summary>
    private static McpSseAuth.Telemetry.SecurityAudit Audit(Monitor options, TimeProvider clock)
        => new(NullLoggerFactory.Instance, new McpSseAuth.Telemetry.OAuthMetrics(new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()), Options.Create(options.Value), clock);

    private static UpstreamIdentity Dana => new("oidc", "https://idp.example", "dana-1", UpstreamIdentity.SubjectFor("https://idp.example", "dana-1"), "Dana", "dana@example.com", true, null, [], []);

    [Fact]
    public async Task UpstreamUser_WhoNoLongerPassesTheAccessRules_AfterAReload_IsRefusedAtOnce()
    {
        await _status.RememberUpstreamAsync(Dana, default);
        Assert.Null(await _status.RefusalAsync(Dana.Subject, default));

        var reloaded = new McpOAuthOptions();
        reloaded.SignIn.AccessRules.AllowedEmailDomains.Add("other.example");
        _options.Change(reloaded);

        Assert.NotNull(await _status.RefusalAsync(Dana.Subject, default));
    }

    [Fact]
    public async Task UpstreamUser_WhoseProviderRefusedTheirToken_IsRefused_UntilTheySignInThroughItAgain()
    {
        await _status.RememberUpstreamAsync(Dana, default);

        await _status.UpstreamRefusedAsync(Dana.Subject, default);

        Assert.Equal([Dana.Subject], _access.Removed);
        Assert.Equal("the identity provider refused to renew the user's sign-in", await _status.RefusalAsync(Dana.Subject, default));

        await _status.RememberUpstreamAsync(Dana, default);
        Assert.Null(await _status.RefusalAsync(Dana.Subject, default));
    }

    [Fact]
    public async Task Answers_AreRememberedForTheInterval_ThenDecidedAgain()
    {
        await _status.RememberUpstreamAsync(Dana, default);
        Assert.Null(await _status.RefusalAsync(Dana.Subject, default));

        // Changed in place, without a reload notice: the remembered answer stands until the interval ends.
        _options.Value.SignIn.AccessRules.AllowedEmailDomains.Clear();
        _options.Value.SignIn.AccessRules.AllowedEmailDomains.Add("other.example");
        Assert.Null(await _status.RefusalAsync(Dana.Subject, default));

        _clock.Advance(_options.Value.SignIn.UserStatusInterval);
        Assert.NotNull(await _status.RefusalAsync(Dana.Subject, default));
    }

    [Fact]
    public async Task LocalUsers_AreReadFromTheOptionsNow_AndMachineClientsAlwaysPass()
    {
        _options.Value.AddUser("erin", "erin");
        Assert.Null(await _status.RefusalAsync("erin", default));
        Assert.Null(await _status.RefusalAsync("client:machine", default));

        var reloaded = new McpOAuthOptions();
        reloaded.Users.Add(new McpOAuthUser { UserName = "erin", PasswordHash = "x", Disabled = true });
        _options.Change(reloaded);

        Assert.Equal("the user is disabled", await _status.RefusalAsync("erin", default));
        Assert.Equal("the user is no longer among the configured users", await _status.RefusalAsync("frank", default));
    }

    private sealed class RecordingUserAccess : IMcpUserAccess
    {
        public List<string> Removed { get; } = [];

        public Task<IReadOnlyList<McpGrantInfo>> ListGrantsAsync(string subject, CancellationToken cancellationToken = default) => Task.FromResult<IReadOnlyList<McpGrantInfo>>([]);

        public Task<McpAccessRevocation> RevokeGrantAsync(string subject, string grantId, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<McpAccessRevocation> RevokeClientAsync(string subject, string clientId, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<McpAccessRevocation> RemoveUserAsync(string subject, CancellationToken cancellationToken = default)
        {
            Removed.Add(subject);
            return Task.FromResult(new McpAccessRevocation(0, 0, 0));
        }
    }

    private sealed class Monitor : IOptionsMonitor<McpOAuthOptions>
    {
        private readonly List<Action<McpOAuthOptions, string?>> _listeners = [];

        public McpOAuthOptions Value { get; private set; } = new();

        public McpOAuthOptions CurrentValue => Value;

        public McpOAuthOptions Get(string? name) => Value;

        public void Change(McpOAuthOptions options)
        {
            Value = options;
            foreach (var listener in _listeners.ToArray())
            {
                listener(options, null);
            }
        }

        public IDisposable? OnChange(Action<McpOAuthOptions, string?> listener)
        {
            _listeners.Add(listener);
            return null;
        }
    }
}
