using Microsoft.AspNetCore.Antiforgery;

namespace McpSseAuth.Pages;

/// <summary>The service-tokens page: a form per configured service.</summary>
internal sealed record ServiceTokensView(AccountNavView Nav, string? Notice, string? Problem, IReadOnlyList<ServiceTokenView> Services, string Action, int MaxTokenLength, AntiforgeryTokenSet Antiforgery);
