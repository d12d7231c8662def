using McpSseAuth.Users;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace McpSseAuth.Sessions;

/// <summary>
/// Every <see cref="McpOAuthSignInOptions.UserStatusInterval"/>, asks <see cref="UserStatus"/> about each user with a live MCP
/// session on this instance, so a user who lost access but makes no request (an idle SSE stream) still loses it in time.
/// </summary>
internal sealed class UserStatusSweep(UserStatus status, McpSessionRegistry sessions, TimeProvider time, IOptions<McpOAuthOptions> options, ILogger<UserStatusSweep> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var period = options.Value.SignIn.UserStatusInterval;
        using var timer = new PeriodicTimer(period, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await SweepAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public async Task SweepAsync(CancellationToken cancellationToken)
    {
        foreach (var subject in sessions.Subjects())
        {
            try
            {
                status.Forget(subject);   // decided afresh: the interval bounds the whole delay, not twice over
                await status.EnforceAsync(subject, cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // A storage outage or a host hook that failed: the next sweep asks again.
                Log.UserStatusCheckFailed(logger, subject, e);
            }
        }
    }
}
