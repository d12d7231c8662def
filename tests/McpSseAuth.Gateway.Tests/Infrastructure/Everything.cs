using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using McpSseAuth.Tests.Infrastructure;

namespace McpSseAuth.Gateway.Tests.Infrastructure;

/// <summary>
/// The reference MCP server <c>@modelcontextprotocol/server-everything</c> (pinned by tests/e2e-ts/package-lock.json,
/// installed by the README's test command), which exercises every protocol feature: as a stdio server the gateway
/// starts, or started here as a remote SSE or Streamable HTTP server on a loopback port.
/// </summary>
public static class Everything
{
    public static string Folder => Path.Combine(Repository.Root, "tests", "e2e-ts");

    public static string Entry
    {
        get
        {
            var entry = Path.Combine(Folder, "node_modules", "@modelcontextprotocol", "server-everything", "dist", "index.js");
            return File.Exists(entry) ? entry : throw new InvalidOperationException($"server-everything is not installed: run 'npm ci' in {Folder} (the README's test command does).");
        }
    }

    /// <summary>The gateway's settings for it as a stdio server, as a Claude Desktop configuration would have them.</summary>
    public static McpGatewayServer Stdio(params (string Name, string Value)[] env)
    {
        var server = new McpGatewayServer { Command = "node" };
        server.Args.Add(Entry);
        server.Args.Add("stdio");
        foreach (var (name, value) in env)
        {
            server.Env[name] = value;
        }

        return server;
    }

    /// <summary>
    /// Starts it as a remote server (<c>sse</c> or <c>streamableHttp</c>) on a free loopback port, ready when its own endpoint
    /// answers as that transport does. A port taken by someone else between being found free and being bound (the process
    /// then exits, and whatever holds the port would answer the connection) is given up for another, twice at most.
    /// </summary>
    public static async Task<RemoteServer> StartRemoteAsync(string transport)
    {
        for (var attempt = 1; ; attempt++)
        {
            var port = FreePort();
            var start = new ProcessStartInfo("node") { WorkingDirectory = Folder, RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            start.ArgumentList.Add("--import");
            start.ArgumentList.Add("./loopback.mjs");
            start.ArgumentList.Add(Entry);
            start.ArgumentList.Add(transport);
            start.Environment["PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var process = Process.Start(start) ?? throw new InvalidOperationException("node could not be started.");
            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var server = new RemoteServer(process, new Uri($"http://127.0.0.1:{port}{(transport == "sse" ? "/sse" : "/mcp")}"));
            if (await AnswersAsync(server, sse: transport == "sse"))
            {
                return server;
            }

            await server.DisposeAsync();
            if (attempt == 3)
            {
                throw new InvalidOperationException($"server-everything ({transport}) did not start on any of three loopback ports.");
            }
        }
    }

    /// <summary>
    /// Whether the process answers at its endpoint, as that transport does, within 30 s: legacy SSE opens an event stream on
    /// GET; Streamable HTTP answers anything but 404 at its path. False once the process has exited.
    /// </summary>
    private static async Task<bool> AnswersAsync(RemoteServer server, bool sse)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        for (var waited = 0; waited < 30_000 && !server.Process.HasExited; waited += 50)
        {
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, server.Url);
                request.Headers.Accept.ParseAdd("text/event-stream");
                using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
                return !server.Process.HasExited && (sse
                    ? response.StatusCode == HttpStatusCode.OK && response.Content.Headers.ContentType?.MediaType == "text/event-stream"
                    : response.StatusCode != HttpStatusCode.NotFound);
            }
            catch (HttpRequestException)
            {
                await Task.Delay(50);
            }
        }

        return false;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>A server-everything process listening on loopback; stopped (its whole tree) when disposed.</summary>
    public sealed class RemoteServer(Process process, Uri url) : IAsyncDisposable
    {
        public Uri Url { get; } = url;

        public Process Process { get; } = process;

        public async ValueTask DisposeAsync()
        {
            if (!Process.HasExited)
            {
                Process.Kill(entireProcessTree: true);
                await Process.WaitForExitAsync();
            }

            Process.Dispose();
        }
    }
}
