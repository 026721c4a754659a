"""Settings from the environment and ``$ENTENTE_HOME/entente.toml``; read only at the edges."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from entente.errors import ConfigurationError
from entente.stix import Tlp, parse_tlp

__all__ = ["CONFIG_FILE", "Settings", "load_settings"]

CONFIG_FILE = "entente.toml"


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything a node needs to know to build its adapters."""

    home: Path
    database_url: str
    default_marking: Tlp = Tlp.AMBER_STRICT  # architecture §2: unmarked fails closed

    @property
    def config_path(self) -> Path:
        """Where this node's TOML settings live."""
        return self.home / CONFIG_FILE


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read settings: environment first, then ``entente.toml`` in the home, then defaults."""
    env = os.environ if environ is None else environ
    home_text = env.get("ENTENTE_HOME") or str(Path.home() / ".local" / "share" / "entente")
    home = Path(home_text).expanduser()
    file_values: dict[str, object] = {}
    config_path = home / CONFIG_FILE
    if config_path.is_file():
        try:
            file_values = tomllib.loads(config_path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigurationError(f"{config_path}: not valid TOML: {exc}") from exc
    url = env.get("ENTENTE_DATABASE_URL") or file_values.get("database_url")
    if url is None:
        url = f"sqlite:///{home / 'entente.db'}"
    if not isinstance(url, str) or "://" not in url:
        raise ConfigurationError(f"database_url {url!r} is not a database URL")
    marking = env.get("ENTENTE_DEFAULT_MARKING") or file_values.get("default_marking")
    default_marking = Tlp.AMBER_STRICT
    if marking is not None:
        try:
            default_marking = parse_tlp(str(marking))
        except ValueError as exc:
            raise ConfigurationError(f"default_marking: {exc}") from exc
    return Settings(home=home, database_url=url, default_marking=default_marking)
