"""The analyst web UI: server-rendered pages, sessions, CSRF and security headers.

Pages render Jinja2 templates from this package and use only its own CSS (no third-party
front-end code; the Content-Security-Policy allows nothing from elsewhere). A page that
needs the signed-in user depends on ``UiAuth.signed_in`` (or ``UiAuth.principal``); a
POST depends on ``UiAuth.csrf_checked``; ``Pages.response`` renders a template inside the
base layout. ``create_app`` leaves both on ``app.state`` (``ui_auth``, ``ui_pages``).
"""

from entente.server.ui.auth import CsrfRejected, LoginRequired, UiAuth
from entente.server.ui.headers import UI_CSP, UiSecurityHeaders, is_ui_path
from entente.server.ui.pages import DEFAULT_NAV, NavItem, Pages, install_ui, ui_router
from entente.server.ui.templates import Templates

__all__ = [
    "DEFAULT_NAV",
    "UI_CSP",
    "CsrfRejected",
    "LoginRequired",
    "NavItem",
    "Pages",
    "Templates",
    "UiAuth",
    "UiSecurityHeaders",
    "install_ui",
    "is_ui_path",
    "ui_router",
]
