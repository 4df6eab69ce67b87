"""protocol.tokens: shared vectors plus properties of mint/verify."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from swarmcast.protocol import tokens
from tests.protocol.token_vectors import SECRET, VECTORS_PATH, build

VECTORS: dict[str, Any] = json.loads(VECTORS_PATH.read_text())


def test_vector_file_matches_generator() -> None:
    assert build() == VECTORS


@pytest.mark.parametrize("case", VECTORS["mint"], ids=lambda c: c["sub"])
def test_mint_vector(case: dict[str, Any]) -> None:
    secret = bytes.fromhex(VECTORS["secret"])
    token = tokens.mint(secret, case["stream"], case["now"], case["ttl_seconds"], case["sub"])
    assert token == case["token"]


@pytest.mark.parametrize("case", VECTORS["verify_ok"], ids=lambda c: str(c["now"]))
def test_verify_ok_vector(case: dict[str, Any]) -> None:
    claims = tokens.verify(
        case["token"], bytes.fromhex(VECTORS["secret"]), case["now"], case["stream"]
    )
    assert claims == tokens.TokenClaims(**case["claims"])


@pytest.mark.parametrize(
    "case", VECTORS["verify_error"], ids=lambda c: f"{c['error']}-{c['token'][:12]}"
)
def test_verify_error_vector(case: dict[str, Any]) -> None:
    error_class = getattr(tokens, case["error"])
    with pytest.raises(tokens.TokenError) as caught:
        tokens.verify(case["token"], bytes.fromhex(VECTORS["secret"]), case["now"], case["stream"])
    assert type(caught.value) is error_class
    assert caught.value.code == case["code"]


def test_max_length_vector_is_over_the_limit() -> None:
    too_long = [c for c in VECTORS["verify_error"] if len(c["token"]) > tokens.MAX_TOKEN_LENGTH]
    assert too_long, "one vector must exercise the length limit"


def test_valid_until_exp_exclusive() -> None:
    token = tokens.mint(SECRET, "demo", 1000.9, ttl_seconds=10)
    assert tokens.verify(token, SECRET, 1009.999).exp == 1010
    with pytest.raises(tokens.ExpiredToken):
        tokens.verify(token, SECRET, 1010)


def test_random_sub_differs() -> None:
    first = tokens.verify(tokens.mint(SECRET, "demo", 0), SECRET, 0)
    second = tokens.verify(tokens.mint(SECRET, "demo", 0), SECRET, 0)
    assert first.sub != second.sub


@pytest.mark.parametrize(
    ("kwargs", "secret"),
    [({"stream": "bad name"}, SECRET), ({"ttl_seconds": 0}, SECRET), ({}, b"short")],
)
def test_mint_refuses_bad_arguments(kwargs: dict[str, Any], secret: bytes) -> None:
    with pytest.raises(ValueError):
        tokens.mint(secret, **{"stream": "demo", "now": 0, **kwargs})


@given(st.text(max_size=1100) | st.binary(max_size=64) | st.none() | st.integers())
def test_garbage_is_a_token_error(token: object) -> None:
    with pytest.raises(tokens.TokenError):
        tokens.verify(token, SECRET, 0)


@given(st.data())
def test_any_single_character_change_is_refused(data: st.DataObject) -> None:
    token = tokens.mint(SECRET, "demo", 0, sub="fixed")
    index = data.draw(st.integers(0, len(token) - 1))
    replacement = data.draw(st.sampled_from("AQgw_-.=+/ a9"))
    mutated = token[:index] + replacement + token[index + 1 :]
    if mutated != token:
        with pytest.raises(tokens.TokenError):
            tokens.verify(mutated, SECRET, 0)
