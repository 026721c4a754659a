"""The ``[approvals]`` table of entente.toml: four-eyes by default, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from entente.approvals import ActionType, Policy
from entente.config import load_settings, render_settings
from entente.errors import ConfigurationError
from entente.services import node_org_id

ORG_B = node_org_id("Org B")


def test_every_outbound_action_is_four_eyes_by_default(tmp_path: Path) -> None:
    settings = load_settings({"ENTENTE_HOME": str(tmp_path)})
    assert settings.approvals == {action: Policy() for action in ActionType}
    shown = dict(render_settings(settings))["approvals"]
    assert "advisory: 2 approvals" in shown


def test_a_type_is_set_in_its_own_table(tmp_path: Path) -> None:
    (tmp_path / "entente.toml").write_text(
        f'[approvals.advisory]\nmin_approvals = 3\nrequired_orgs = ["{ORG_B}"]\n',
        encoding="utf-8",
    )
    settings = load_settings({"ENTENTE_HOME": str(tmp_path)})
    assert settings.approvals[ActionType.ADVISORY] == Policy(3, (ORG_B,))
    assert settings.approvals[ActionType.REFERRAL] == Policy()
    assert f"advisory: 3 approvals, from {ORG_B}" in dict(render_settings(settings))["approvals"]


def test_orgs_are_named_by_name_or_identity_id(tmp_path: Path) -> None:
    (tmp_path / "entente.toml").write_text(
        f'[approvals.advisory]\nrequired_orgs = ["Org B", "{ORG_B}"]\napprover_orgs = ["Org C"]\n',
        encoding="utf-8",
    )
    policy = load_settings({"ENTENTE_HOME": str(tmp_path)}).approvals[ActionType.ADVISORY]
    assert policy.required_orgs == (node_org_id("Org B"),)
    assert policy.approver_orgs == (node_org_id("Org C"),)


def test_a_wrong_table_is_a_configuration_error_naming_it(tmp_path: Path) -> None:
    (tmp_path / "entente.toml").write_text(
        "[approvals.advisory]\nmin_approvals = 0\n", encoding="utf-8"
    )
    with pytest.raises(ConfigurationError, match=r"entente.toml: \[approvals.advisory\]"):
        load_settings({"ENTENTE_HOME": str(tmp_path)})
