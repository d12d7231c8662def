using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using McpSseAuth.Benchmarks.AuthServers;
using McpSseAuth.Benchmarks.Mcp;

namespace McpSseAuth.Benchmarks;

/// <summary>The machine a run was measured on, as the results file records it.</summary>
internal sealed record MachineInfo(string Cpu, int Cores, long MemoryBytes, string OperatingSystem, string Runtime, string? Commit, int OpenFilesLimit)
{
    public static MachineInfo Read() => new(
        File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown",
        Environment.ProcessorCount,
        GC.GetGCMemoryInfo().TotalAvailableMemoryBytes,
        RuntimeInformation.OSDescription,
        RuntimeInformation.FrameworkDescription,
        Git("describe --always --dirty"),
        ReadOpenFilesLimit());

    private static string? Git(string arguments)
    {
        try
        {
            var start = new ProcessStartInfo("git", arguments) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Servers.RepositoryRoot };
            using var git = Process.Start(start)!;
            var output = git.StandardOutput.ReadToEnd().Trim();
            git.WaitForExit();
            return git.ExitCode == 0 ? output : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    private static int ReadOpenFilesLimit()
    {
        var line = File.ReadLines("/proc/self/limits").FirstOrDefault(l => l.StartsWith("Max open files", StringComparison.Ordinal));
        var parts = line?.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return parts is { Length: > 3 } && int.TryParse(parts[3], out var soft) ? soft : -1;
    }
}

/// <summary>One run of the benchmarks, as saved in bench/results: where, when, with what settings, and every measured run.</summary>
internal sealed record BenchmarkResults(
    DateTimeOffset StartedAt,
    MachineInfo Machine,
    IReadOnlyDictionary<string, string> Settings,
    IReadOnlyList<McpLoadResult>? Mcp,
    IReadOnlyList<SseSessionsResult>? Sessions,
    IReadOnlyList<AuthServerResult>? AuthServers)
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public void Save(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, JsonSerializer.Serialize(this, Json));
    }

    public static BenchmarkResults Load(string path)
        => JsonSerializer.Deserialize<BenchmarkResults>(File.ReadAllText(path), Json) ?? throw new InvalidDataException(path + " holds no results.");
}
