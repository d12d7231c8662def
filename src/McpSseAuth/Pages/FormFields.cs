using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Components;

namespace McpSseAuth.Pages;

/// <summary>The fields every form of the pages carries.</summary>
internal static class FormFields
{
    /// <summary>The hidden anti-forgery field (CSRF, RFC 9700 §4.7), its value bound to the signed-in user, if any.</summary>
    public static RenderFragment Antiforgery(AntiforgeryTokenSet tokens) => builder =>
    {
        builder.OpenElement(0, "input");
        builder.AddAttribute(1, "type", "hidden");
        builder.AddAttribute(2, "name", tokens.FormFieldName);
        builder.AddAttribute(3, "value", tokens.RequestToken);
        builder.CloseElement();
    };
}
