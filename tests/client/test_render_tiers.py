"""The client shows the final tier of a result and marks an override beside the model's."""

from __future__ import annotations

from client.render import tier_label


def test_an_overridden_result_shows_the_final_tier_and_the_models():
    result = {"tier": "Low", "final_tier": "Medium", "review": {"decision": "override"}}

    assert tier_label(result) == "Medium (overridden; model: Low)"


def test_a_confirmed_or_unreviewed_result_shows_its_tier_alone():
    assert tier_label({"tier": "High", "final_tier": "High", "review": None}) == "High"
    assert tier_label({"tier": "High", "review": {"decision": "confirm"}}) == "High"


def test_a_result_from_a_server_without_reviews_shows_the_models_tier():
    assert tier_label({"tier": "Medium"}) == "Medium"
