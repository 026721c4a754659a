"""Run the schemathesis CLI over a real node's REST API (``make schemathesis``).

Creates a node in a temporary home with the shipped sample intelligence, an admin token and a
reader token of another org, serves it with ``entente serve`` on 127.0.0.1, runs
``schemathesis run`` against ``/api/v1/openapi.json`` once per token with every check (but
the one that expects any well-formed ``next`` cursor to be accepted), then
stops the node and removes the home. The exit status is schemathesis's (0: no failure).

    python tests/fuzz/schemathesis_run.py [--max-examples N] [--workers N]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

_READY_S = 60.0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _tool(name: str) -> str:
    """A command installed beside this interpreter (the project's virtual environment)."""
    return str(Path(sys.executable).with_name(name))


def _entente(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [_tool("entente"), *args],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout


def main() -> int:
    """Set up, serve, run schemathesis per token, stop; schemathesis's exit status."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--max-examples", type=int, default=100)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="entente-schemathesis-"))
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("ENTENTE_")},
        "ENTENTE_HOME": str(home),
        "ENTENTE_PUBLIC_URL": base,
        "ENTENTE_SYNC_INTERVAL": "0",
    }
    server: subprocess.Popen[bytes] | None = None
    try:
        _entente(env, "demo", "--no-serve", "--json")
        tokens = {}
        for org, role in (("Entente node", "admin"), ("Org B", "reader")):
            created = _entente(env, "token", "create", "--org", org, "--role", role, "--json")
            tokens[role] = json.loads(created)["secret"]
        log = (home / "serve.log").open("wb")
        server = subprocess.Popen(
            [_tool("entente"), "serve", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + _READY_S
        while True:
            try:
                if httpx.get(f"{base}/api/v1/openapi.json", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                print("the node did not start; see", home / "serve.log", file=sys.stderr)
                return 3
            time.sleep(0.2)
        status = 0
        for role, token in tokens.items():
            print(f"== schemathesis as {role}", flush=True)
            done = subprocess.run(
                [
                    _tool("schemathesis"),
                    "run",
                    f"{base}/api/v1/openapi.json",
                    "--header",
                    f"Authorization: Bearer {token}",
                    "--checks",
                    "all",
                    # A random string shaped like a cursor is schema-valid but no cursor this
                    # node issued (it is encrypted): 400 is the right answer to it.
                    "--exclude-checks",
                    "positive_data_acceptance",
                    "--include-path-regex",
                    "^/api/v1/",
                    "--max-examples",
                    str(args.max_examples),
                    "--workers",
                    str(args.workers),
                    "--seed",
                    "11",
                ],
                check=False,
            )
            status = status or done.returncode
        return status
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
