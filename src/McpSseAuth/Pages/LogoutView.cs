using Microsoft.AspNetCore.Antiforgery;

namespace McpSseAuth.Pages;

/// <summary>The sign-out confirmation: a form that posts to <paramref name="Action"/> with an anti-forgery token.</summary>
internal sealed record LogoutView(string Action, AntiforgeryTokenSet Antiforgery);
