"""``entente init``: create (or check) the node's home, configuration and store."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from entente.bootstrap import ensure_home, federation
from entente.cli.context import node
from entente.cli.output import console, print_json, run_command
from entente.config import CONFIG_FILE, load_settings
from entente.errors import ConfigurationError, InvalidInput
from entente.store.urls import redact_url

__all__ = ["init"]

_CONFIG_TEMPLATE = """\
# Entente node settings. The environment (ENTENTE_DATABASE_URL, ...) overrides this file.
# database_url = "postgresql+psycopg://postgres@127.0.0.1:5432/entente"
# Marking assumed for objects that carry none (architecture §2): fails closed by default.
# default_marking = "amber+strict"
# This CERT's own networks and domains: values of free text they cover are not ingested.
# own_networks = ["198.51.100.0/24"]
# own_domains = ["cert.example.org"]
"""


def _create_config(path: Path) -> bool:
    """Write the settings template at ``path``, mode 0600, unless a file is there; True if so.

    Mode 0600 from creation: the file may come to hold a database URL with its password.
    Rewrites (``_set_org``) keep the mode of the file they rewrite.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    except OSError as exc:
        raise ConfigurationError(f"cannot create {path}: {exc}") from exc
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(_CONFIG_TEMPLATE)
    return True


def _set_org(settings_text: str, org: str) -> str:
    """The settings text with ``org_name`` set (TOML basic string, escaped)."""
    line = "org_name = " + _toml_string(org)
    kept = [x for x in settings_text.splitlines() if not x.strip().startswith("org_name")]
    return "\n".join([line, *kept]) + "\n"


def _toml_string(value: str) -> str:
    """``value`` as a TOML basic string."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in escaped):
        raise InvalidInput("--org: control characters are not allowed in an org name")
    return f'"{escaped}"'


def init(
    org: Annotated[
        str | None,
        typer.Option("--org", help="This node's organisation (its STIX identity)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Create the node's home, configuration, store, org identity and Ed25519 key; idempotent."""

    def body() -> int:
        settings = load_settings()
        ensure_home(settings.home)
        created = _create_config(settings.config_path)
        if org is not None:
            name = org.strip()
            if not name:
                raise InvalidInput("--org: an org name must not be empty")
            env_org = os.environ.get("ENTENTE_ORG")
            if env_org and env_org.strip() != name:
                raise ConfigurationError(
                    f"ENTENTE_ORG is {env_org!r}, which overrides --org {name!r}: unset it or "
                    "make them agree"
                )
            current = load_settings()
            if current.org_name != name:
                if _has_org(settings.config_path.read_text(encoding="utf-8")):
                    raise ConfigurationError(
                        f"this node is already {current.org_name!r}; its org identity and key "
                        "are what partners know it by, so it is not renamed"
                    )
                text = settings.config_path.read_text(encoding="utf-8")
                settings.config_path.write_text(_set_org(text, name), encoding="utf-8")
        with node() as opened:
            stats = opened.store.stats()
            service = federation(opened)
            org_id = service.org_id
            public_key = opened.key.public_key_text
            org_name = opened.settings.org_name
        report = {
            "home": str(settings.home),
            "config": str(settings.home / CONFIG_FILE),
            "config_created": created,
            "database": redact_url(settings.database_url),
            "objects": stats.objects,
            "org_name": org_name,
            "org_id": org_id,
            "public_key": public_key,
        }
        if as_json:
            print_json(report)
        else:
            verb = "Initialised" if created else "Already initialised:"
            console.print(f"{verb} node at [bold]{settings.home}[/]")
            console.print(f"  database: {report['database']}")
            console.print(f"  objects:  {stats.objects}")
            console.print(f"  org:      {org_name} ({org_id})", highlight=False)
            console.print(f"  key:      {public_key}", highlight=False)
        return 0

    run_command(body)


def _has_org(settings_text: str) -> bool:
    return any(line.strip().startswith("org_name") for line in settings_text.splitlines())
