"""The 24/7 points of contact (Budapest Convention Art. 35): ``[[preservation.contacts]]``."""

from __future__ import annotations

from pathlib import Path

import pytest

from entente.config import load_settings, render_settings
from entente.errors import ConfigurationError, InvalidInput
from entente.preservation import Contact, find_contact

TWO = """
[[preservation.contacts]]
country = "nl"
authority = "Team High Tech Crime, Netherlands Police"
email = "24-7@example.nl"
phone = "+31 70 000 0000"

[[preservation.contacts]]
country = "DE"
authority = "Bundeskriminalamt"
email = "24-7@example.de"
phone = "+49 611 00 000"
"""


def test_no_contact_is_configured_by_default(tmp_path: Path) -> None:
    assert load_settings({"ENTENTE_HOME": str(tmp_path)}).preservation_contacts == ()


def test_the_contacts_are_read_with_their_country_upper_cased(tmp_path: Path) -> None:
    (tmp_path / "entente.toml").write_text(TWO, encoding="utf-8")
    settings = load_settings({"ENTENTE_HOME": str(tmp_path)})
    nl, de = settings.preservation_contacts
    assert nl == Contact("NL", "Team High Tech Crime, Netherlands Police", "24-7@example.nl",
                         "+31 70 000 0000")  # fmt: skip
    assert de.country == "DE"
    assert find_contact(settings.preservation_contacts, "de") is de
    shown = dict(render_settings(settings))
    assert shown["preservation.contacts"] == (
        "Team High Tech Crime, Netherlands Police (NL), Bundeskriminalamt (DE)"
    )


def test_an_unconfigured_country_is_refused_naming_those_configured(tmp_path: Path) -> None:
    (tmp_path / "entente.toml").write_text(TWO, encoding="utf-8")
    contacts = load_settings({"ENTENTE_HOME": str(tmp_path)}).preservation_contacts
    with pytest.raises(
        InvalidInput, match="no 24/7 point of contact for 'FR' is configured: NL, DE"
    ):
        find_contact(contacts, "FR")
    with pytest.raises(InvalidInput, match=r"none \(add \[\[preservation.contacts\]\]\)"):
        find_contact((), "NL")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("preservation = 1\n", "preservation must be a table"),
        ("[preservation]\nother = 1\n", "unknown key"),
        ("[preservation]\ncontacts = 1\n", "must be an array of tables"),
        (TWO.replace('country = "DE"', 'country = "Germany"'), r"contacts\[1\].country: an ISO"),
        (TWO.replace('country = "DE"', 'country = "NL"'), "NL is listed twice"),
        (TWO.replace('email = "24-7@example.de"', 'email = "bka"'), "is not an e-mail address"),
        (TWO.replace('phone = "+49 611 00 000"', 'phone = "0611"'), "international form"),
        (TWO.replace('authority = "Bundeskriminalamt"', 'authority = ""'), "authority: required"),
        (TWO + 'fax = "1"\n', r"contacts\[1\]: unknown key\(s\) fax"),
    ],
)
def test_a_wrong_contact_stops_the_node_naming_the_entry_and_field(
    tmp_path: Path, text: str, message: str
) -> None:
    (tmp_path / "entente.toml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigurationError, match=message):
        load_settings({"ENTENTE_HOME": str(tmp_path)})
