using System.Diagnostics;
using System.Globalization;

namespace McpSseAuth.Tests.Infrastructure;

/// <summary>
/// Folders of servers the tests start as processes (redis-server, the sample), one per server under a root in the temp
/// folder, each with the test process's pid in <c>owner.pid</c> and the server's in its own pid file. A test process that
/// was killed never runs its exit hooks: the next start sweeps what it left.
/// </summary>
internal static class OwnedProcessFolders
{
    /// <summary>Ends the servers of test processes that are gone, and drops their folders.</summary>
    public static void KillOrphans(string root, string pidFile, bool entireTree, params string[] serverNames)
    {
        if (!Directory.Exists(root))
        {
            return;
        }

        foreach (var folder in Directory.EnumerateDirectories(root))
        {
            try
            {
                // A folder being set up has no owner yet: only an old one without owner is left over.
                var owner = ReadPid(Path.Combine(folder, "owner.pid"));
                if (owner is null ? Directory.GetCreationTimeUtc(folder) > DateTime.UtcNow.AddMinutes(-10) : IsAlive(owner.Value, "dotnet", "testhost"))
                {
                    continue;
                }

                if (ReadPid(Path.Combine(folder, pidFile)) is { } server && IsAlive(server, serverNames))
                {
                    using var orphan = Process.GetProcessById(server);
                    orphan.Kill(entireTree);
                    orphan.WaitForExit(5000);
                }

                Directory.Delete(folder, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // best effort: another run may be cleaning up the same folder
            }
        }
    }

    private static int? ReadPid(string file) =>
        File.Exists(file) && int.TryParse(File.ReadAllText(file).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : null;

    // By name too, so a reused pid of some other program is not taken for ours.
    private static bool IsAlive(int pid, params string[] names)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited && names.Any(n => process.ProcessName.StartsWith(n, StringComparison.Ordinal));
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
