namespace McpSseAuth.EntityFrameworkCore;

/// <summary>The storage and the bus of one app, on the contexts of its <c>TContext</c>.</summary>
internal sealed class EntityFrameworkStorage(ContextSource contexts, EntityFrameworkOAuthStorage storage, EntityFrameworkOAuthBus? bus)
{
    public ContextSource Contexts => contexts;

    public EntityFrameworkOAuthStorage Storage => storage;

    public EntityFrameworkOAuthBus? Bus => bus;
}
