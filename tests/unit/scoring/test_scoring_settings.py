"""``parse_scoring_config``: a user's ``[scoring]`` table, defaults filled in, errors located."""

from __future__ import annotations

import re
import tomllib
from typing import Any

import pytest

from entente.errors import ConfigurationError
from entente.scoring import DEFAULT_DECAY, DecayRule, ScoringConfig, parse_scoring_config

EXAMPLE = """
[scoring]
default_confidence = 40
default_reliability = "e"
sighting_bonus = 10
sighting_bonus_cap = 30
false_positive_penalty = 50

[scoring.reliability_weights]
B = 0.75

[scoring.sources]
"abuse.ch URLhaus" = "b"
"identity--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f" = "A"

[scoring.decay.ip]
lifetime_days = 14

[scoring.decay.sha256]
lifetime_days = 1000
decay_speed = 0.2
"""


def test_an_empty_table_gives_the_documented_defaults() -> None:
    config = parse_scoring_config({})
    assert config == ScoringConfig()
    assert config.default_confidence == 50
    assert config.default_reliability == "F"
    assert (config.sighting_bonus, config.sighting_bonus_cap) == (5, 20)
    assert config.false_positive_penalty == 25
    assert dict(config.decay) == dict(DEFAULT_DECAY)


def test_a_full_toml_table_is_read_and_partial_rows_keep_their_defaults() -> None:
    config = parse_scoring_config(tomllib.loads(EXAMPLE)["scoring"])
    assert config.default_confidence == 40
    assert config.default_reliability == "E"
    assert (config.sighting_bonus, config.sighting_bonus_cap) == (10, 30)
    assert config.false_positive_penalty == 50
    assert config.reliability_weights["B"] == 0.75
    assert config.reliability_weights["A"] == 1.0
    assert dict(config.sources) == {
        "abuse.ch URLhaus": "B",
        "identity--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f": "A",
    }
    assert config.decay["ip"] == DecayRule(14.0, DEFAULT_DECAY["ip"].decay_speed)
    assert config.decay["sha256"] == DecayRule(1000.0, 0.2)
    assert config.decay_rule("nothing-like-this") == DEFAULT_DECAY["default"]
    assert parse_scoring_config(config.to_json()) == config


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"default_confidnce": 5}, "scoring.default_confidnce: unknown setting (known: "),
        ({"default_confidence": 101}, "scoring.default_confidence: must be an integer from 0"),
        ({"default_confidence": True}, "scoring.default_confidence: must be an integer from 0"),
        ({"sighting_bonus": -1}, "scoring.sighting_bonus: must be an integer from 0 to 100"),
        ({"default_reliability": "G"}, "scoring.default_reliability: 'G' is not an Admiralty"),
        ({"reliability_weights": {"B": 1.5}}, "scoring.reliability_weights.B: must be a number"),
        ({"reliability_weights": {"Z": 0.5}}, "scoring.reliability_weights.Z: 'Z' is not an"),
        ({"reliability_weights": []}, "scoring.reliability_weights: must be a table"),
        ({"sources": {"feed": "maybe"}}, "scoring.sources.feed: 'maybe' is not an Admiralty"),
        ({"decay": {"ipv4": {}}}, "scoring.decay.ipv4: unknown kind (known: default, domain"),
        ({"decay": {"ip": {"lifetime_days": -1}}}, "scoring.decay.ip.lifetime_days: must be"),
        ({"decay": {"ip": {"decay_speed": 0}}}, "scoring.decay.ip.decay_speed: must be a number"),
        ({"decay": {"ip": {"lifetime": 3}}}, "scoring.decay.ip.lifetime: unknown setting"),
        ({"decay": {"ip": 3}}, "scoring.decay.ip: must be a table"),
    ],
)
def test_bad_settings_are_refused_naming_the_setting(table: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match="^" + re.escape(message)):
        parse_scoring_config(table)


def test_the_prefix_of_locations_can_be_chosen() -> None:
    with pytest.raises(ConfigurationError, match=r"^node\.scoring\.sighting_bonus: "):
        parse_scoring_config({"sighting_bonus": "5"}, where="node.scoring")


def test_the_config_is_frozen_including_its_tables() -> None:
    weights = {"A": 1.0, "B": 0.8, "C": 0.6, "D": 0.4, "E": 0.2, "F": 0.5}
    config = ScoringConfig(reliability_weights=weights)
    weights["A"] = 0.0
    assert config.reliability_weights["A"] == 1.0
    with pytest.raises(TypeError):
        config.reliability_weights["A"] = 0.1  # type: ignore[index]


def test_a_config_without_a_default_decay_row_or_a_weight_is_a_bug() -> None:
    with pytest.raises(ValueError, match="default"):
        ScoringConfig(decay={"ip": DecayRule(1, 1)})
    with pytest.raises(ValueError, match="lacks F"):
        ScoringConfig(reliability_weights={"A": 1, "B": 1, "C": 1, "D": 1, "E": 1})
