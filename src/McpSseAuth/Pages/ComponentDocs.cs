namespace McpSseAuth.Pages;

// The .razor files cannot carry XML documentation; Razor makes every component public, so each is described here.
// They render only inside McpSseAuth (each reads its view record, which only McpSseAuth builds): see docs/pages.md.

/// <summary>McpSseAuth's own layout of its pages; replace it with <see cref="McpOAuthPageOptions.Layout"/>.</summary>
public partial class McpOAuthLayout;

/// <summary>The login page. Rendered by McpSseAuth only; change it through the layout and the texts.</summary>
public partial class LoginPage;

/// <summary>The consent page. Rendered by McpSseAuth only; change it through the layout and the texts.</summary>
public partial class ConsentPage;

/// <summary>The connected-apps page. Rendered by McpSseAuth only; change it through the layout and the texts.</summary>
public partial class ConnectedAppsPage;

/// <summary>The service-tokens page. Rendered by McpSseAuth only; change it through the layout and the texts.</summary>
public partial class ServiceTokensPage;

/// <summary>The sign-out confirmation. Rendered by McpSseAuth only; change it through the layout and the texts.</summary>
public partial class LogoutPage;

/// <summary>Error, refusal and confirmation pages. Rendered by McpSseAuth only; change them through the layout and the texts.</summary>
public partial class MessagePage;

/// <summary>The navigation of the account pages. Rendered by McpSseAuth only.</summary>
public partial class AccountNav;

/// <summary>The operator's overview of users and clients. Rendered by McpSseAuth only; change it through the layout.</summary>
public partial class OperatorOverviewPage;

/// <summary>One user for an operator, with their grants and sessions. Rendered by McpSseAuth only; change it through the layout.</summary>
public partial class OperatorUserPage;
