namespace McpSseAuth.Keys;

/// <summary>Another instance changed the shared key ring since it was read: read it again.</summary>
internal sealed class SigningKeyStoreConflictException() : Exception("Another instance changed the signing key ring since it was read.");
