"""Running case_validate: found in the environment, and a clear failure when it is absent."""

from __future__ import annotations

from pathlib import Path

from tests.unit.evidence.sample import sample_input

from entente.evidence.case_graph import case_document
from entente.evidence.case_validation import case_validator, find_case_validate


def test_case_validate_is_installed_with_entente_and_the_sample_conforms() -> None:
    command = find_case_validate()
    assert command is not None
    assert case_validator(command)(case_document(sample_input())) is None


def test_without_case_validate_a_document_fails_saying_so() -> None:
    assert case_validator(None)(b"{}") == "case_validate not installed (pip install case-utils)"


def test_a_command_that_cannot_run_fails_saying_so(tmp_path: Path) -> None:
    problem = case_validator(str(tmp_path / "case_validate"))(b"{}")
    assert problem is not None
    assert problem.startswith("case_validate could not run")
