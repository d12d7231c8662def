using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ModelContextProtocol.Client;

namespace McpSseAuth.Gateway.Backends;

/// <summary>
/// The SDK client transport to a server, with the user's values filled in: a process for a stdio server (its own
/// environment only, see <see cref="McpGatewayServer.Env"/>), an HTTP connection for a remote one (configured headers
/// only: never the caller's token or cookies, no cookie jar, no redirects that would carry the headers elsewhere).
/// </summary>
internal sealed class BackendTransports(IHttpClientFactory httpClients, IOptions<McpGatewayOptions> options, ILoggerFactory loggers)
{
    public const string HttpClientName = "McpSseAuth.Gateway";

    public IClientTransport Create(BackendRoute backend, UserValues user, Action<string> standardError)
    {
        var server = backend.Server;
        if (backend.Kind == BackendKind.Stdio)
        {
            var environment = StdioClientTransportOptions.GetDefaultEnvironmentVariables();
            foreach (var (name, value) in server.Env)
            {
                environment[name] = user.Fill(value);
            }

            var processes = options.Value.Processes;
            return new StdioClientTransport(new StdioClientTransportOptions
            {
                Name = backend.Name,
                Command = server.Command!,
                Arguments = [.. server.Args.Select(user.Fill)],
                WorkingDirectory = server.Cwd,
                // The gateway's environment holds other servers' secrets: a process gets its own variables and a minimal set.
                InheritEnvironmentVariables = false,
                EnvironmentVariables = environment!,
                ShutdownTimeout = processes.ShutdownTimeout,
                StandardErrorLines = standardError,
            }, loggers);
        }

        var url = server.Url!.OriginalString.Contains("{{", StringComparison.Ordinal)
            ? new Uri(user.Fill(server.Url.OriginalString, Uri.EscapeDataString))
            : server.Url;
        return new HttpClientTransport(
            new HttpClientTransportOptions
            {
                Name = backend.Name,
                Endpoint = url,
                TransportMode = backend.Kind switch
                {
                    BackendKind.Sse => HttpTransportMode.Sse,
                    BackendKind.StreamableHttp => HttpTransportMode.StreamableHttp,
                    _ => HttpTransportMode.AutoDetect,
                },
                AdditionalHeaders = server.Headers.ToDictionary(h => h.Key, h => HeaderValue(user.Fill(h.Value)), StringComparer.OrdinalIgnoreCase),
                ConnectionTimeout = options.Value.Processes.StartTimeout,
            },
            httpClients.CreateClient(HttpClientName),
            loggers,
            ownsHttpClient: false);
    }

    // A user's value (a name) may hold anything: nothing that ends a header line goes into one.
    private static string HeaderValue(string value) => string.Concat(value.Where(c => !char.IsControl(c)));
}
