using System.Diagnostics;
using System.Text.Json;

namespace McpSseAuth.Tests.Infrastructure;

/// <summary>
/// Runs the TypeScript SDK client harness (tests/e2e-ts/client.mjs, @modelcontextprotocol/sdk pinned by its lockfile).
/// Its packages come from <c>npm ci</c>, which the README's test command runs; a missing install fails the test.
/// </summary>
public static class TypeScriptClient
{
    public static string Folder => Path.Combine(Repository.Root, "tests", "e2e-ts");

    public sealed record Result(int ExitCode, JsonElement? Output, string StandardError);

    public static Task<Result> RunAsync(params string[] arguments) => RunScriptAsync("client.mjs", arguments);

    /// <summary>Runs another script of the folder (e.g. <c>dpop-client.mjs</c>) with <paramref name="arguments"/>.</summary>
    public static Task<Result> RunScriptAsync(string script, params string[] arguments) => RunScriptAsync("node", script, arguments);

    /// <summary>Runs a script on the Node 22 pinned beside the conformance suite, for clients that need it (the Inspector).</summary>
    public static Task<Result> RunScriptOnNode22Async(string script, params string[] arguments)
        => RunScriptAsync(Path.Combine(Folder, "node_modules", "node", "bin", "node"), script, arguments);

    private static async Task<Result> RunScriptAsync(string node, string script, string[] arguments)
    {
        if (!Directory.Exists(Path.Combine(Folder, "node_modules", "@modelcontextprotocol", "sdk")))
        {
            throw new InvalidOperationException($"The TypeScript SDK is not installed: run 'npm ci' in {Folder} (the README's test command does).");
        }

        var start = new ProcessStartInfo(node)
        {
            WorkingDirectory = Folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(script);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("node could not be started.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("The TypeScript client did not finish in 90 s: " + await stderr);
        }

        var output = (await stdout).Trim();
        JsonElement? json = output.Length == 0 ? null : JsonDocument.Parse(output.Split('\n')[^1]).RootElement.Clone();
        return new Result(process.ExitCode, json, await stderr);
    }
}
