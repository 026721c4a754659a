"""``entente partner card|add|list|remove`` in-process: JSON contracts and exit codes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from tests.unit.cli.conftest import cli_for, said

from entente.federation import card_document, generate_key, make_card, parse_card
from entente.services import org_identity_id

TOKEN = "ent_tok_0123456789ab_secret-issued-by-the-partner"


@pytest.fixture
def run(tmp_path: Path) -> Any:
    """Run ``entente ARGS`` in-process for a node "US CERT" in a home of its own."""
    return cli_for(tmp_path / "home", "US CERT", public_url="https://us-cert.example:8443/")


@pytest.fixture
def card_file(tmp_path: Path) -> Path:
    """The signed card of a partner node, "IL CERT", as it hands it over."""
    key = generate_key()
    card = make_card(
        org_name="IL CERT",
        org_id=org_identity_id("IL CERT"),
        public_key=key.public_key,
        taxii_url="https://il-cert.example/taxii2/",
        api_root="https://il-cert.example/taxii2/api/",
    )
    path = tmp_path / "il-cert.json"
    path.write_bytes(orjson.dumps(card_document(card, key)))
    return path


def test_card_prints_this_node_signed_card_at_its_public_url(run: Any) -> None:
    result = run("partner", "card")
    assert result.exit_code == 0, result.output
    card = parse_card(orjson.loads(result.stdout))
    assert (card.org_name, card.org_id) == ("US CERT", org_identity_id("US CERT"))
    assert card.taxii_url == "https://us-cert.example:8443/taxii2/"
    assert card.api_root == "https://us-cert.example:8443/taxii2/api/"


def test_card_url_option_overrides_the_public_url(run: Any) -> None:
    card = parse_card(orjson.loads(run("partner", "card", "--url", "http://10.0.0.5:80").stdout))
    assert card.api_root == "http://10.0.0.5:80/taxii2/api/"


def test_card_out_writes_the_card_to_a_file(run: Any, tmp_path: Path) -> None:
    out = tmp_path / "my-card.json"
    result = run("partner", "card", "--out", str(out))
    assert result.exit_code == 0, result.output
    card = parse_card(orjson.loads(out.read_bytes()))
    assert card.org_name == "US CERT"
    assert "my-card.json" in result.stdout


def test_the_card_carries_the_key_init_reports(run: Any) -> None:
    initialised = orjson.loads(run("init", "--json").stdout)
    card = parse_card(orjson.loads(run("partner", "card").stdout))
    assert card.public_key == initialised["public_key"]


def test_add_registers_the_partner_and_list_shows_it_never_synced_without_the_token(
    run: Any, card_file: Path
) -> None:
    added = run("partner", "add", "--card", str(card_file), "--token", TOKEN, "--json")
    assert added.exit_code == 0, added.output
    shown = orjson.loads(added.stdout)
    assert (shown["name"], shown["org_id"]) == ("IL-CERT", org_identity_id("IL CERT"))
    listed = run("partner", "list", "--json")
    assert listed.exit_code == 0, listed.output
    [partner] = orjson.loads(listed.stdout)["partners"]
    assert partner["name"] == "IL-CERT"
    assert partner["status"] == "never synced"
    assert partner["last_sync"] is None and partner["objects_received"] == 0
    assert partner["api_root"] == "https://il-cert.example/taxii2/api/"
    for output in (added.stdout, listed.stdout, run("partner", "list").stdout):
        assert TOKEN not in output
        assert "secret-issued" not in output


def test_add_with_a_name_and_url_of_our_choosing(run: Any, card_file: Path) -> None:
    result = run(
        "partner", "add", "--card", str(card_file), "--token", TOKEN, "--name", "il",
        "--url", "https://il-cert.internal/taxii2/api/",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    [partner] = orjson.loads(run("partner", "list", "--json").stdout)["partners"]
    assert (partner["name"], partner["api_root"]) == ("il", "https://il-cert.internal/taxii2/api/")


def test_adding_the_same_partner_twice_exits_2(run: Any, card_file: Path) -> None:
    assert run("partner", "add", "--card", str(card_file), "--token", TOKEN).exit_code == 0
    again = run("partner", "add", "--card", str(card_file), "--token", TOKEN)
    assert again.exit_code == 2
    assert "already" in said(again)


def test_add_with_a_missing_card_file_exits_2_saying_it_cannot_be_read(
    run: Any, tmp_path: Path
) -> None:
    result = run("partner", "add", "--card", str(tmp_path / "nope.json"), "--token", TOKEN)
    assert result.exit_code == 2
    assert "cannot read the card" in said(result)


def test_add_with_a_card_that_is_not_json_exits_2(run: Any, tmp_path: Path) -> None:
    path = tmp_path / "card.json"
    path.write_text("entente_partner_card: 1\n", encoding="utf-8")
    result = run("partner", "add", "--card", str(path), "--token", TOKEN)
    assert result.exit_code == 2
    assert "the card is not JSON" in said(result)


def test_add_with_an_altered_card_exits_2_saying_the_signature_fails(
    run: Any, card_file: Path
) -> None:
    card = orjson.loads(card_file.read_bytes())
    card["api_root"] = "https://attacker.example/taxii2/api/"
    card_file.write_bytes(orjson.dumps(card))
    result = run("partner", "add", "--card", str(card_file), "--token", TOKEN)
    assert result.exit_code == 2
    assert "does not verify" in said(result)
    assert orjson.loads(run("partner", "list", "--json").stdout) == {"partners": []}


def test_add_of_our_own_card_exits_2(run: Any, tmp_path: Path) -> None:
    own = tmp_path / "own.json"
    assert run("partner", "card", "--out", str(own)).exit_code == 0
    result = run("partner", "add", "--card", str(own), "--token", TOKEN)
    assert result.exit_code == 2
    assert "own" in said(result)


def test_remove_forgets_the_partner(run: Any, card_file: Path) -> None:
    run("partner", "add", "--card", str(card_file), "--token", TOKEN)
    result = run("partner", "remove", "IL-CERT")
    assert result.exit_code == 0, result.output
    assert orjson.loads(run("partner", "list", "--json").stdout) == {"partners": []}


def test_remove_of_an_unknown_partner_exits_2_naming_it(run: Any) -> None:
    result = run("partner", "remove", "nobody")
    assert result.exit_code == 2
    assert "nobody" in said(result)
