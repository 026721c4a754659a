"""The analyst web UI: server-rendered pages, sessions, CSRF and security headers.

Pages render Jinja2 templates from this package and use only its own CSS (no third-party
front-end code; the Content-Security-Policy allows nothing from elsewhere). A page that
needs the signed-in user depends on ``UiAuth.signed_in`` (or ``UiAuth.principal``); a
POST depends on ``UiAuth.csrf_checked``.
"""

from entente.server.ui.auth import CsrfRejected, LoginRequired, UiAuth
from entente.server.ui.headers import UI_CSP, UiSecurityHeaders, is_ui_path
from entente.server.ui.pages import NavItem, install_ui, ui_router
from entente.server.ui.templates import Templates

__all__ = [
    "UI_CSP",
    "CsrfRejected",
    "LoginRequired",
    "NavItem",
    "Templates",
    "UiAuth",
    "UiSecurityHeaders",
    "install_ui",
    "is_ui_path",
    "ui_router",
]
