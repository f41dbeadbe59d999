"""Pseudonyms are stable and keyed; sealed addresses round-trip and hide the id."""

from __future__ import annotations

from bot.privacy import Privacy


def test_pseudonym_is_stable_keyed_and_not_the_id() -> None:
    one, other = Privacy("secret-a"), Privacy("secret-b")
    assert one.pseudonym("telegram", "12345") == one.pseudonym("telegram", "12345")
    assert one.pseudonym("telegram", "12345") != other.pseudonym("telegram", "12345")
    assert one.pseudonym("telegram", "12345") != one.pseudonym("zalo", "12345")
    assert "12345" not in one.pseudonym("telegram", "12345")


def test_sealed_address_round_trips_and_is_not_clear_text() -> None:
    privacy = Privacy("secret-a")
    sealed = privacy.seal("987654321")
    assert "987654321" not in sealed
    assert privacy.open(sealed) == "987654321"
    assert privacy.seal("987654321") != sealed  # random nonce
