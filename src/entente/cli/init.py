"""``entente init``: create (or check) the node's home, configuration and store."""

from __future__ import annotations

from typing import Annotated

import typer

from entente.cli.context import node
from entente.cli.output import console, print_json, run_command
from entente.config import CONFIG_FILE, load_settings
from entente.store.urls import redact_url

__all__ = ["init"]

_CONFIG_TEMPLATE = """\
# Entente node settings. The environment (ENTENTE_DATABASE_URL, ...) overrides this file.
# database_url = "postgresql+psycopg://postgres@127.0.0.1:5432/entente"
# Marking assumed for objects that carry none (architecture §2): fails closed by default.
# default_marking = "amber+strict"
"""


def init(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Create the node's home, configuration and store; safe to run again."""

    def body() -> int:
        settings = load_settings()
        settings.home.mkdir(parents=True, exist_ok=True)
        created = not settings.config_path.exists()
        if created:
            settings.config_path.write_text(_CONFIG_TEMPLATE, encoding="utf-8")
        with node() as opened:
            stats = opened.store.stats()
        report = {
            "home": str(settings.home),
            "config": str(settings.home / CONFIG_FILE),
            "config_created": created,
            "database": redact_url(settings.database_url),
            "objects": stats.objects,
        }
        if as_json:
            print_json(report)
        else:
            verb = "Initialised" if created else "Already initialised:"
            console.print(f"{verb} node at [bold]{settings.home}[/]")
            console.print(f"  database: {report['database']}")
            console.print(f"  objects:  {stats.objects}")
        return 0

    run_command(body)
