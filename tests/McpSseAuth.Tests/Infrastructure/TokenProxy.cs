using System.Diagnostics;

namespace McpSseAuth.Tests.Infrastructure;

/// <summary>
/// tests/e2e-ts/token-proxy.mjs: a reverse proxy on loopback that adds a bearer token to every request it forwards and
/// passes everything else (Host, Origin, bodies, streams) as it is, so tools without OAuth (the conformance suite's server
/// scenarios) reach a protected server authenticated. Stops when disposed (its stdin closes).
/// </summary>
public sealed class TokenProxy : IAsyncDisposable
{
    private readonly Process _process;

    private TokenProxy(Process process, Uri address)
    {
        _process = process;
        Address = address;
    }

    /// <summary>Where the proxy listens: configure it as the protected server's issuer.</summary>
    public Uri Address { get; }

    public static async Task<TokenProxy> StartAsync()
    {
        var start = new ProcessStartInfo(Path.Combine(ConformanceSuite.NodeBin, "node"))
        {
            WorkingDirectory = TypeScriptClient.Folder,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("token-proxy.mjs");
        var process = Process.Start(start) ?? throw new InvalidOperationException("node could not be started.");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var line = await process.StandardOutput.ReadLineAsync(timeout.Token);
        if (line is null || !line.StartsWith("listening ", StringComparison.Ordinal))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException("token-proxy.mjs did not start: " + line + await process.StandardError.ReadToEndAsync());
        }

        return new TokenProxy(process, new Uri(line["listening ".Length..]));
    }

    /// <summary>Forwards to <paramref name="target"/> from now on.</summary>
    public Task SetTargetAsync(Uri target) => SendAsync("target " + target.GetLeftPart(UriPartial.Authority));

    /// <summary>Adds <c>Authorization: Bearer <paramref name="token"/></c> from now on.</summary>
    public Task SetTokenAsync(string token) => SendAsync("token " + token);

    private async Task SendAsync(string command)
    {
        await _process.StandardInput.WriteLineAsync(command);
        await _process.StandardInput.FlushAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var answer = await _process.StandardOutput.ReadLineAsync(timeout.Token);
        if (answer is null || !answer.StartsWith("ok ", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"token-proxy.mjs did not take '{command.Split(' ')[0]}': {answer}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        _process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
    }
}
