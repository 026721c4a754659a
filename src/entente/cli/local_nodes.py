"""Several real nodes on loopback, each its own ``entente serve`` process and home.

The federation demo, the end-to-end tests and ``bench/federation.py`` drive nodes exactly as an
operator would: through the ``entente`` command (``init --org``, ``token create``, ``partner
card``/``add``, ``agreement add``, ``ingest``, ``sync``) against separate homes, with each
node served by its own process on 127.0.0.1. Every process started here is stopped by
``LocalNode.stop`` (or killed by ``kill``); callers use ``LocalNodes`` as a context manager.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import orjson
import yaml

from entente.errors import ConfigurationError

__all__ = ["LocalNode", "LocalNodes", "free_port"]

_READY_S = 60.0
_STOP_S = 15.0
_CLI_TIMEOUT_S = 600.0


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _entente_command() -> list[str]:
    script = Path(sys.executable).parent / "entente"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from entente.cli.main import app; app()"]


@dataclass
class LocalNode:
    """One node: an org, a home directory, a loopback port and, while served, its process."""

    org: str
    home: Path
    port: int
    sync_interval: float = 0.0
    # Where its commands cache compiled bytecode when the caller's environment forbids writing
    # it beside the sources (PYTHONDONTWRITEBYTECODE): otherwise every command of a demo or
    # test recompiles all its imports, seconds that an installed node never pays.
    pycache: Path | None = None
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def base_url(self) -> str:
        """Where the node serves."""
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        """The environment its commands run with (nothing of the caller's ENTENTE_*)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("ENTENTE_")}
        if self.pycache is not None and env.pop("PYTHONDONTWRITEBYTECODE", None) is not None:
            env["PYTHONPYCACHEPREFIX"] = str(self.pycache)
        env.update(
            ENTENTE_HOME=str(self.home),
            ENTENTE_PUBLIC_URL=self.base_url,
            ENTENTE_SYNC_INTERVAL=str(self.sync_interval),
        )
        return env

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run ``entente ARGS`` for this node; raise with its output if it fails and ``check``."""
        done = subprocess.run(
            [*_entente_command(), *args],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=_CLI_TIMEOUT_S,
            check=False,
        )
        if check and done.returncode not in (0, 1):
            raise ConfigurationError(
                f"[{self.org}] entente {' '.join(args)} exited {done.returncode}:\n"
                f"{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
            )
        return done

    def cli_json(self, *args: str) -> Any:
        """Run a ``--json`` command and decode what it printed."""
        return orjson.loads(self.cli(*args, "--json").stdout)

    def init(self) -> dict[str, Any]:
        """``entente init --org``: the home, the store, the org identity and the key."""
        self.home.mkdir(mode=0o700, parents=True, exist_ok=True)
        result: dict[str, Any] = self.cli_json("init", "--org", self.org)
        return result

    def issue_partner_token(self, partner_org: str) -> str:
        """A partner-role token for ``partner_org`` to read this node with."""
        token = self.cli_json("token", "create", "--org", partner_org, "--role", "partner")
        return str(token["secret"])

    def card(self) -> Path:
        """This node's partner card, written into its home."""
        path = self.home / "partner-card.json"
        self.cli("partner", "card", "--out", str(path))
        return path

    def add_agreement(self, document: dict[str, Any]) -> None:
        """Write ``document`` as YAML into the home and ``agreement add`` it."""
        path = self.home / f"agreement-{document['id']}.yaml"
        path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
        self.cli("agreement", "add", str(path))

    def ingest(self, objects: Sequence[dict[str, Any]], name: str = "intel.json") -> Any:
        """Ingest ``objects`` as a bundle file; the ``ingest --json`` report."""
        path = self.home / name
        bundle = {
            "type": "bundle",
            "id": "bundle--" + "0" * 8 + "-0000-4000-8000-" + "0" * 12,
            "objects": list(objects),
        }
        path.write_bytes(orjson.dumps(bundle))
        return self.cli_json("ingest", str(path))

    def sync(self) -> Any:
        """``entente sync --json``."""
        return self.cli_json("sync")

    def objects(self) -> list[dict[str, Any]]:
        """Every version this node holds, with provenance (``objects list --all-versions``)."""
        listed = self.cli_json("objects", "list", "--limit", "100000")
        return list(listed["objects"])

    def start(self) -> None:
        """Serve the node (``entente serve``) and wait until it answers."""
        if self.proc is not None:
            return
        log = (self.home / "serve.log").open("ab")
        try:
            self.proc = subprocess.Popen(
                [*_entente_command(), "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                env=self.env(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        finally:
            log.close()
        deadline = time.monotonic() + _READY_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ConfigurationError(f"[{self.org}] serve exited early: {self._log_tail()}")
            try:
                # uvicorn listens only once the app has started: a connection means ready.
                with socket.create_connection(("127.0.0.1", self.port), timeout=2):
                    return
            except OSError:
                time.sleep(0.1)
        self.kill()
        raise ConfigurationError(
            f"[{self.org}] serve not ready in {_READY_S} s: {self._log_tail()}"
        )

    def stop(self) -> None:
        """Stop the server as Ctrl-C would, killing it if it does not exit in time."""
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(_STOP_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(_STOP_S)

    def kill(self) -> None:
        """kill -9 the server: no shutdown code runs."""
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait(_STOP_S)

    def _log_tail(self) -> str:
        try:
            return (self.home / "serve.log").read_text(errors="replace")[-2000:]
        except OSError:
            return ""


class LocalNodes:
    """A set of local nodes under one directory; stops every server on exit."""

    def __init__(self, root: Path, orgs: Sequence[str], sync_interval: float = 0.0) -> None:
        self.root = root
        self.nodes = [
            LocalNode(
                org=org,
                home=root / "".join(c if c.isalnum() else "-" for c in org.lower()),
                port=free_port(),
                sync_interval=sync_interval,
                pycache=root / ".pycache",
            )
            for org in orgs
        ]

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop_all()

    def __iter__(self) -> Iterator[LocalNode]:
        return iter(self.nodes)

    def __getitem__(self, org: str) -> LocalNode:
        for node in self.nodes:
            if node.org == org:
                return node
        raise KeyError(org)

    def stop_all(self) -> None:
        """Stop every server still running."""
        for node in self.nodes:
            node.stop()

    @staticmethod
    def partner(reader: LocalNode, source: LocalNode) -> None:
        """Make ``reader`` a partner of ``source``: a token from source, source's card."""
        token = source.issue_partner_token(reader.org)
        reader.cli("partner", "add", "--card", str(source.card()), "--token", token)

    def agree(self, document: dict[str, Any]) -> None:
        """Add an agreement on every party's node and make the parties partners pairwise."""
        parties = [self[org] for org in document["parties"]]
        for node in parties:
            node.add_agreement(document)
        for reader in parties:
            for source in parties:
                if reader is not source and not _knows(reader, source):
                    self.partner(reader, source)

    @contextmanager
    def serving(self) -> Iterator[None]:
        """Every node served for the block."""
        try:
            for node in self.nodes:
                node.start()
            yield
        finally:
            self.stop_all()


def _knows(reader: LocalNode, source: LocalNode) -> bool:
    partners = reader.cli_json("partner", "list")["partners"]
    return any(p["org_name"] == source.org for p in partners)
