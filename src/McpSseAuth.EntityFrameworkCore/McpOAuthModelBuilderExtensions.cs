using McpSseAuth.EntityFrameworkCore;

namespace Microsoft.EntityFrameworkCore;

/// <summary>Maps McpSseAuth's table into your <see cref="DbContext"/>.</summary>
public static class McpOAuthModelBuilderExtensions
{
    /// <summary>The entries' table unless you give another.</summary>
    public const string DefaultTable = "mcp_oauth_entries";

    /// <summary>The messages' table unless you give another.</summary>
    public const string DefaultMessageTable = "mcp_oauth_messages";

    /// <summary>
    /// Maps the two tables McpSseAuth keeps its state in: call it from your context's <c>OnModelCreating</c>, then add a
    /// migration (<c>dotnet ef migrations add AddMcpOAuth</c>) and apply it as you apply your others. <paramref name="table"/>
    /// holds clients, codes, refresh tokens, grants, consents, revocations, stored secrets and the signing key ring — columns
    /// <c>id</c> (SHA-256 of the key, the primary key), <c>key</c>, <c>value</c> (bytes), <c>expires_at</c> and
    /// <c>taken_at</c> (Unix milliseconds), <c>partition_id</c>, indexed on <c>partition_id</c> and <c>expires_at</c>.
    /// <paramref name="messageTable"/> carries the messages between instances (a minute each) — <c>id</c> (increasing),
    /// <c>channel</c>, <c>sender</c>, <c>payload</c>, <c>sent_at</c>.
    /// </summary>
    /// <param name="modelBuilder">Your context's model builder.</param>
    /// <param name="table">The entries' table.</param>
    /// <param name="schema">The tables' schema, or null for the database's default.</param>
    /// <param name="messageTable">The messages' table.</param>
    /// <returns>The model builder.</returns>
    public static ModelBuilder AddMcpOAuthEntries(this ModelBuilder modelBuilder, string table = DefaultTable, string? schema = null, string messageTable = DefaultMessageTable)
    {
        ArgumentNullException.ThrowIfNull(modelBuilder);
        ArgumentException.ThrowIfNullOrWhiteSpace(table);
        ArgumentException.ThrowIfNullOrWhiteSpace(messageTable);
        modelBuilder.Entity<StoredEntry>(entry =>
        {
            entry.ToTable(table, schema);
            entry.HasKey(e => e.Id);
            entry.Property(e => e.Id).HasColumnName("id").HasMaxLength(64).IsUnicode(false).ValueGeneratedNever();
            entry.Property(e => e.Key).HasColumnName("key").IsRequired();
            entry.Property(e => e.Value).HasColumnName("value").IsRequired();
            entry.Property(e => e.ExpiresAt).HasColumnName("expires_at");
            entry.Property(e => e.PartitionId).HasColumnName("partition_id").HasMaxLength(64).IsUnicode(false);
            entry.Property(e => e.TakenAt).HasColumnName("taken_at");
            entry.HasIndex(e => e.PartitionId);
            entry.HasIndex(e => e.ExpiresAt);
        });
        modelBuilder.Entity<StoredMessage>(message =>
        {
            message.ToTable(messageTable, schema);
            message.HasKey(m => m.Id);
            message.Property(m => m.Id).HasColumnName("id").ValueGeneratedOnAdd();
            message.Property(m => m.Channel).HasColumnName("channel").HasMaxLength(200).IsRequired();
            message.Property(m => m.Sender).HasColumnName("sender").HasMaxLength(64).IsUnicode(false).IsRequired();
            message.Property(m => m.Payload).HasColumnName("payload").IsRequired();
            message.Property(m => m.SentAt).HasColumnName("sent_at");
        });
        return modelBuilder;
    }
}
