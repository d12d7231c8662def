namespace McpSseAuth.Hosting;

/// <summary>Present when the app chose a storage: the signing keys then live in it.</summary>
internal sealed class ConfiguredStorage;
