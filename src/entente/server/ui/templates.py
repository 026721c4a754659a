"""Jinja2 rendering of the UI's templates (the one place Jinja2 is used)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jinja2
from starlette.responses import HTMLResponse

__all__ = ["Templates"]


class Templates:
    """The templates of ``entente.server.ui`` (and any package a later page adds)."""

    def __init__(self, *packages: str) -> None:
        loaders: list[jinja2.BaseLoader] = [
            jinja2.PackageLoader(package, "templates")
            for package in (*packages, "entente.server.ui")
        ]
        self._env = jinja2.Environment(
            loader=jinja2.ChoiceLoader(loaders),
            # Every value is HTML-escaped unless a template says otherwise (OWASP XSS
            # Prevention Cheat Sheet, rule 1); a misspelt variable fails instead of rendering
            # empty.
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )

    def render(self, name: str, context: Mapping[str, Any]) -> str:
        """The HTML of template ``name`` with ``context``."""
        return self._env.get_template(name).render(**context)

    def response(
        self,
        name: str,
        context: Mapping[str, Any],
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> HTMLResponse:
        """An HTML response of template ``name``."""
        return HTMLResponse(self.render(name, context), status_code=status_code, headers=headers)
