namespace McpSseAuth.EntityFrameworkCore;

/// <summary>One message between instances (<see cref="EntityFrameworkOAuthBus"/>), kept a minute.</summary>
internal sealed class StoredMessage
{
    /// <summary>Assigned by the database, increasing.</summary>
    public long Id { get; set; }

    public string Channel { get; set; } = "";

    /// <summary>The instance that sent it, which delivered it to its own subscribers at once.</summary>
    public string Sender { get; set; } = "";

    public byte[] Payload { get; set; } = [];

    /// <summary>Unix milliseconds on the sender's clock.</summary>
    public long SentAt { get; set; }
}
