using System.Runtime.CompilerServices;
using System.Security.Claims;
using McpSseAuth.Http;
using Microsoft.Extensions.Caching.Memory;

namespace McpSseAuth.Users;

/// <summary>
/// <see cref="IMcpAccessRules"/>: a set of access rules other than the sign-in rules, applied with the same
/// <see cref="AccessRuleCheck"/> to an upstream user as last seen at sign-in (<see cref="UserStatus"/>), and to a local
/// user or a client by name only. Answers are remembered per user and rules for the user status interval.
/// </summary>
internal sealed class AccessRuleEvaluation(UserStatus status, TimeProvider time) : IMcpAccessRules, IDisposable
{
    private readonly MemoryCache _answers = new(new MemoryCacheOptions { SizeLimit = 100_000, Clock = new TimeProviderClock(time) });
    private readonly ConditionalWeakTable<McpOAuthAccessRules, object> _ruleIds = [];

    public async ValueTask<string?> RefusalAsync(ClaimsPrincipal user, McpOAuthAccessRules rules, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(rules);
        if (!rules.HasRules)
        {
            return null;
        }

        if (SignedInUser.From(user)?.Subject is not { } subject)
        {
            return "The request names no user.";
        }

        var key = (_ruleIds.GetValue(rules, _ => new object()), subject);
        if (_answers.TryGetValue(key, out Answer? known) && known is not null)
        {
            return known.Refusal;
        }

        var upstream = await status.UpstreamAsync(subject, cancellationToken);
        var refusal = upstream is null ? AccessRuleCheck.RefusalByName(rules, subject) : AccessRuleCheck.Refusal(rules, upstream);
        _answers.Set(key, new Answer(refusal), new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = status.Current.SignIn.UserStatusInterval });
        return refusal;
    }

    public void Dispose() => _answers.Dispose();

    private sealed record Answer(string? Refusal);
}
