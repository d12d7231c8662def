using McpSseAuth.Gateway.Backends;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace McpSseAuth.Gateway.Hosting;

/// <summary>
/// One server behind the gateway, as a health check: a stdio server's command is on the <c>PATH</c>; a remote server
/// answers HTTP at all (any status; no configured header is sent); and its last start or connection did not fail after
/// the last one that worked (else Degraded, with the reason users were given). Never a URL, header or token in the answer.
/// </summary>
internal sealed class BackendHealthCheck(BackendRoute backend, BackendHealth health, IHttpClientFactory httpClients) : IHealthCheck
{
    private static readonly TimeSpan ReachTimeout = TimeSpan.FromSeconds(5);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (backend.Kind == BackendKind.Stdio)
        {
            if (!Commands.IsRunnable(backend.Server.Command!))
            {
                return HealthCheckResult.Unhealthy($"Its command '{backend.Server.Command}' is not on this machine's PATH.");
            }
        }
        else if (await UnreachableAsync(cancellationToken) is { } why)
        {
            return HealthCheckResult.Unhealthy("It does not answer HTTP: " + why);
        }

        return health.Last(backend.Name) is { Failure: { } failure } last
            ? HealthCheckResult.Degraded($"Its last start failed ({last.At:u}): {failure}")
            : HealthCheckResult.Healthy(backend.Kind == BackendKind.Stdio ? "Its command is on the PATH." : "It answers HTTP.");
    }

    private async Task<string?> UnreachableAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ReachTimeout);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Head, backend.Server.Url);
            using var response = await httpClients.CreateClient(BackendTransports.HttpClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            return null;   // any answer, 401 and 405 included: it is there
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return $"no answer within {ReachTimeout.TotalSeconds:0} seconds.";
        }
        catch (HttpRequestException ex)
        {
            return ex.HttpRequestError.ToString() + ".";
        }
    }
}
