namespace McpSseAuth.Gateway.Backends;

/// <summary>Whether a stdio server's command can be run here, found as the operating system would find it.</summary>
internal static class Commands
{
    public static bool IsRunnable(string command)
        => command.Contains(Path.DirectorySeparatorChar, StringComparison.Ordinal) || command.Contains(Path.AltDirectorySeparatorChar, StringComparison.Ordinal)
            ? File.Exists(Path.GetFullPath(command))
            : (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
                .Any(folder => File.Exists(Path.Combine(folder, command)) || (OperatingSystem.IsWindows() && (File.Exists(Path.Combine(folder, command + ".exe")) || File.Exists(Path.Combine(folder, command + ".cmd")))));
}
