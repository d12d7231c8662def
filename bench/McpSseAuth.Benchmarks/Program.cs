namespace McpSseAuth.Benchmarks;

internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        await Task.CompletedTask;
        Console.Error.WriteLine("usage: McpSseAuth.Benchmarks mcp|sessions|as|chart [options]");
        return args.Length == 0 ? 2 : 0;
    }
}
