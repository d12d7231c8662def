using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Rendering;

namespace McpSseAuth.Pages;

/// <summary>
/// The root of every page: cascades the page's model (by its type) and the <see cref="McpOAuthPage"/>, and renders the
/// page component inside the layout.
/// </summary>
internal sealed class PageHost : ComponentBase
{
    [Parameter]
    public Type Layout { get; set; } = default!;

    [Parameter]
    public Type Page { get; set; } = default!;

    [Parameter]
    public McpOAuthPage Info { get; set; } = default!;

    [Parameter]
    public object Model { get; set; } = default!;

    protected override void BuildRenderTree(RenderTreeBuilder builder)
    {
        builder.OpenComponent<CascadingValue<McpOAuthPage>>(0);
        builder.AddComponentParameter(1, nameof(CascadingValue<McpOAuthPage>.Value), Info);
        builder.AddComponentParameter(2, nameof(CascadingValue<McpOAuthPage>.IsFixed), true);
        builder.AddComponentParameter(3, nameof(CascadingValue<McpOAuthPage>.ChildContent), (RenderFragment)RenderModel);
        builder.CloseComponent();
    }

    private void RenderModel(RenderTreeBuilder builder)
    {
        builder.OpenComponent(0, typeof(CascadingValue<>).MakeGenericType(Model.GetType()));
        builder.AddComponentParameter(1, "Value", Model);
        builder.AddComponentParameter(2, "IsFixed", true);
        builder.AddComponentParameter(3, "ChildContent", (RenderFragment)RenderLayout);
        builder.CloseComponent();
    }

    private void RenderLayout(RenderTreeBuilder builder)
    {
        builder.OpenComponent<LayoutView>(0);
        builder.AddComponentParameter(1, nameof(LayoutView.Layout), Layout);
        builder.AddComponentParameter(2, nameof(LayoutView.ChildContent), (RenderFragment)(page =>
        {
            page.OpenComponent(0, Page);
            page.CloseComponent();
        }));
        builder.CloseComponent();
    }
}
