"""Screenshots of the web UI for the README, taken from a real ``entente demo`` node.

It starts ``entente demo`` (the shipped sample data and a demo login, as ``make demo`` does) in
a fresh home on a free loopback port, signs in through the login form in headless Chromium
(``/usr/bin/chromium`` or ``ENTENTE_TEST_CHROMIUM``, driven by Playwright, as the browser
tests do), and saves 1280 px wide PNGs of the dashboard, an IPsum indicator's page at its "who
will receive this?" section (``id="recipients"``), the graph of the Poison Ivy indicator with
the most links, the ATT&CK matrix, search results, the partners page and the exports page
into ``docs/screenshots/``. The demo data has no ATT&CK matrix, so
ICS ATT&CK from the repository's test corpus is ingested first (``--attack``), as the README's
walkthrough does. The demo node is stopped at the end.

    .venv/bin/python docs/screenshots.py                 # into docs/screenshots/
    .venv/bin/python docs/screenshots.py --out /tmp/shots
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import IO, Any

from playwright.sync_api import Page, sync_playwright

from entente.accounts import totp_at

CHROMIUM = os.environ.get("ENTENTE_TEST_CHROMIUM", "/usr/bin/chromium")
WIDTH, HEIGHT = 1280, 860
# Each PNG stays under this (the README's pictures are fetched with the repository).
MAX_PNG_BYTES = 400 * 1024
_READY_S = 120.0
_STOP_S = 15.0
# The search the README walks through: a family the sample reports name.
SEARCH = "Poison Ivy"
# MITRE's ICS ATT&CK release that the tests use (tests/data/corpus/mitre-attack/LICENSE.txt).
ATTACK = Path(__file__).parents[1] / "tests/data/corpus/mitre-attack/ics-attack.json"
# Suricata alerts of a 2018 honeypot (tests/data/logs/SOURCES.md).
HONEYPOT = Path(__file__).parents[1] / "tests/data/logs/suricata/honeypot-2018/alerts-only.json"


@dataclass(frozen=True, slots=True)
class DemoNode:
    """A served demo node: where it answers and the login ``entente demo`` printed."""

    base_url: str
    home: Path
    username: str
    password: str
    totp_secret: str


def _environment(home: Path) -> dict[str, str]:
    """The caller's environment for ``home``'s node (nothing of the caller's ENTENTE_*)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENTENTE_")}
    env.update(ENTENTE_HOME=str(home), PYTHONUNBUFFERED="1")
    return env


def _entente() -> str:
    return str(Path(sys.executable).parent / "entente")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _read_report(stdout: IO[str], proc: subprocess.Popen[str]) -> dict[str, Any]:
    """The JSON report ``entente demo --json`` prints before it serves."""
    text = ""
    deadline = time.monotonic() + _READY_S
    while time.monotonic() < deadline:
        line = stdout.readline()
        if not line:
            if proc.poll() is not None:
                raise SystemExit(f"entente demo exited {proc.returncode} before serving")
            continue
        text += line
        try:
            report: dict[str, Any] = json.loads(text)
        except json.JSONDecodeError:
            continue
        return report
    raise SystemExit("entente demo printed no report in time")


def _wait_until_served(port: int, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + _READY_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"entente demo exited {proc.returncode} before serving")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"the demo node did not answer on port {port} in time")


@contextmanager
def demo_node(home: Path) -> Iterator[DemoNode]:
    """``entente demo`` in ``home`` on a free port, stopped (as Ctrl-C would) at the end."""
    port = _free_port()
    proc = subprocess.Popen(
        [_entente(), "demo", "--host", "127.0.0.1", "--port", str(port), "--json"],
        env=_environment(home),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        report = _read_report(proc.stdout, proc)
        _wait_until_served(port, proc)
        ui = report["ui"]
        yield DemoNode(
            base_url=f"http://127.0.0.1:{port}",
            home=home,
            username=ui["username"],
            password=ui["password"],
            totp_secret=ui["totp_secret"],
        )
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(_STOP_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(_STOP_S)


def ingest(node: DemoNode, path: Path) -> None:
    """``entente ingest PATH`` into the served node (SQLite in WAL mode: it keeps serving)."""
    entente(node, "ingest", str(path), "--json")


def entente(node: DemoNode, *args: str) -> None:
    """One ``entente`` command on the served node's home; exits if it fails."""
    done = subprocess.run(
        [_entente(), *args],
        env=_environment(node.home),
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    if done.returncode != 0:
        command = " ".join(args)
        raise SystemExit(f"entente {command} exited {done.returncode}: {done.stderr[-500:]}")


def linked_indicator() -> str:
    """The shipped Poison Ivy sample's indicator with the most relationships."""
    sample = resources.files("entente") / "demo_data" / "poisonivy.json"
    objects = json.loads(sample.read_text(encoding="utf-8"))["objects"]
    indicators = {o["id"] for o in objects if o["type"] == "indicator"}
    links: Counter[str] = Counter()
    for obj in objects:
        if obj["type"] == "relationship":
            links.update(end for end in (obj["source_ref"], obj["target_ref"]) if end in indicators)
    return links.most_common(1)[0][0]


def sign_in(page: Page, node: DemoNode) -> None:
    """Sign in through the login form with the demo login and a TOTP code of its key."""
    key = base64.b32decode(node.totp_secret + "=" * (-len(node.totp_secret) % 8), casefold=True)
    page.goto(f"{node.base_url}/login")
    page.fill("#username", node.username)
    page.fill("#password", node.password)
    page.fill("#code", totp_at(key, int(time.time())))
    page.click("button[type=submit]")
    page.wait_for_url(f"{node.base_url}/")


def shoot(page: Page, path: Path, *, anchor: str | None = None) -> int:
    """Save the viewport (at ``anchor`` if the page has that element) as ``path``."""
    if anchor is not None and page.locator(f"#{anchor}").count():
        page.locator(f"#{anchor}").scroll_into_view_if_needed()
    page.screenshot(path=str(path), full_page=False)
    size = path.stat().st_size
    if size > MAX_PNG_BYTES:
        raise SystemExit(f"{path} is {size // 1024} KB, over {MAX_PNG_BYTES // 1024} KB")
    return size


def ipsum_address() -> str:
    """The first address of the shipped IPsum sample (the demo marks its indicators
    TLP:GREEN: one example partner receives them, the other's agreement stops at CLEAR)."""
    sample = resources.files("entente") / "demo_data" / "ipsum.txt"
    for line in sample.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            return line.split()[0]
    raise SystemExit("the IPsum sample holds no address")


def indicator_holding(page: Page, node: DemoNode, value: str) -> str:
    """The page path of the first indicator the search page finds for ``value``."""
    page.goto(f"{node.base_url}/search?q={value}", wait_until="networkidle")
    link = page.locator('a[href^="/objects/indicator--"]').first
    href = link.get_attribute("href")
    if href is None:
        raise SystemExit(f"no indicator holds {value}")
    return href


def take(node: DemoNode, out: Path) -> dict[str, int]:
    """Every screenshot; their sizes in bytes by file name."""
    indicator = linked_indicator()
    sizes: dict[str, int] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT})
            page = context.new_page()
            sign_in(page, node)
            shots = (
                ("dashboard.png", "/", None),
                ("object.png", indicator_holding(page, node, ipsum_address()), "recipients"),
                ("graph.png", f"/graph/{indicator}", None),
                ("attack.png", "/attack", None),
                ("search.png", "/search?q=" + SEARCH.replace(" ", "+"), None),
                ("partners.png", "/partners", None),
                ("exports.png", "/exports", None),
                ("hits.png", "/hits/1", None),
            )
            for name, path, anchor in shots:
                answer = page.goto(node.base_url + path, wait_until="networkidle")
                if answer is None or answer.status != 200:
                    raise SystemExit(f"{path}: {answer.status if answer else 'no answer'}")
                sizes[name] = shoot(page, out / name, anchor=anchor)
        finally:
            browser.close()
    return sizes


def main() -> None:
    """Take the screenshots and list them."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--out", default=str(Path(__file__).parent / "screenshots"))
    parser.add_argument("--attack", default=str(ATTACK), help="an ATT&CK bundle to ingest first")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory(prefix="entente-screenshots-") as tmp,
        demo_node(Path(tmp) / "home") as node,
    ):
        ingest(node, Path(args.attack))
        # A real match: the honeypot's Suricata alerts name three addresses of the IPsum
        # sample, so the dashboard and the hits page have sightings to show.
        entente(node, "match", str(HONEYPOT), "--sightings")
        sizes = take(node, out)
    for name, size in sizes.items():
        print(f"{out / name}: {size // 1024} KB")


if __name__ == "__main__":
    main()
