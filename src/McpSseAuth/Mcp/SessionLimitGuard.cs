using System.Globalization;
using McpSseAuth.Sessions;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace McpSseAuth.Mcp;

/// <summary>
/// A request that may open a session takes its place under the caps first, atomically, so concurrent opens cannot
/// overshoot: beyond <see cref="McpOAuthSessionOptions.MaxPerUser"/> 429 (after a fair share per client:
/// <see cref="McpSessionRegistry.TryMakeRoomFor"/>), beyond <see cref="McpOAuthSessionOptions.MaxTotal"/> 503, both with
/// Retry-After. A Streamable POST without a session may be a stateless request (2026-07-28), which opens nothing: at a cap
/// only an <c>initialize</c> is refused. With several instances on one storage, an opening request also takes a seat there
/// (<see cref="SessionSeats"/>), so the caps hold across instances.
/// </summary>
internal sealed class SessionLimitGuard(McpSessionRegistry registry, SessionSeats seats, McpRefusals refusals, IOptions<McpOAuthOptions> options)
{
    /// <summary>Runs <paramref name="next"/> holding a place, which the session run takes over if a session starts; answered when refused.</summary>
    public async Task RunAsync(HttpContext context, McpCaller caller, bool legacySse, RequestDelegate next)
    {
        var o = options.Value;
        SessionEntry? madeRoom = null;
        var reservation = registry.TryReserve(caller.Subject, o.Sessions.MaxPerUser, o.Sessions.MaxTotal, out var perUser);
        if (reservation is null && perUser && caller.ClientId is { } clientId && (madeRoom = registry.TryMakeRoomFor(caller.Subject, clientId)) is not null)
        {
            reservation = registry.TryReserve(caller.Subject, o.Sessions.MaxPerUser, o.Sessions.MaxTotal, out perUser);
        }

        // Across instances a place is also a seat in the storage, taken only by a request that opens a session.
        if (reservation is not null && seats.Enabled && (legacySse || (await McpMessage.ReadOnceAsync(context))?.IsInitialize == true))
        {
            var seat = await TakeSeatAsync(context, caller, madeRoom, o.Sessions);
            if (seat.IsTaken)
            {
                reservation.Seat = seat;
            }
            else
            {
                registry.Release(reservation);
                reservation = null;
                perUser = seat == SessionSeat.PerUserCapReached;
            }
        }

        if (reservation is null)
        {
            // The body is read only here, at the cap.
            if (legacySse || (await McpMessage.ReadOnceAsync(context))?.IsInitialize == true)
            {
                // No one knows when a session ends; the idle sweep is the soonest a place can be freed without one.
                context.Response.Headers.RetryAfter = ((int)Math.Ceiling(registry.SweepPeriod.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                await refusals.RefuseAsync(
                    context,
                    perUser ? StatusCodes.Status429TooManyRequests : StatusCodes.Status503ServiceUnavailable,
                    perUser ? "sessions_per_user" : "sessions",
                    perUser
                        ? $"You already have {o.Sessions.MaxPerUser} open MCP sessions, the most allowed. Close one (or wait for one to end), then try again."
                        : "The server holds as many MCP sessions as it can. Try again later.");
                return;
            }

            await next(context);
            return;
        }

        if (legacySse)
        {
            // The stream stays open as long as the client likes, and its request with it: it need not hold the access token,
            // which was checked and is not passed on (the session keeps the user; each message brings its own token).
            context.Request.Headers.Authorization = default;
        }

        // The session run (SessionTracking) takes the place over if a session starts; otherwise it is given back.
        registry.Hold(context, reservation);
        try
        {
            await next(context);
        }
        finally
        {
            registry.Unhold(context);
            if (registry.Release(reservation))
            {
                await seats.GiveBackAsync(reservation.Seat);
            }
        }
    }

    private async Task<SessionSeat> TakeSeatAsync(HttpContext context, McpCaller caller, SessionEntry? madeRoom, McpOAuthSessionOptions limits)
    {
        if (madeRoom is not null)
        {
            await seats.WaitUntilFreedAsync(madeRoom, context.RequestAborted);
        }

        var seat = await seats.TryTakeAsync(caller.Subject, limits.MaxPerUser, limits.MaxTotal, context.RequestAborted);
        if (seat == SessionSeat.PerUserCapReached && madeRoom is null && caller.ClientId is { } clientId && registry.TryMakeRoomFor(caller.Subject, clientId) is { } ended)
        {
            // The user's places are taken on all instances: the fair share among this instance's sessions of the user.
            await seats.WaitUntilFreedAsync(ended, context.RequestAborted);
            seat = await seats.TryTakeAsync(caller.Subject, limits.MaxPerUser, limits.MaxTotal, context.RequestAborted);
        }

        return seat;
    }
}
