"""protocol.signaling_schema: shared vectors, builders, and fuzzed payloads."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from swarmcast.protocol import signaling_schema as schema
from tests.protocol.signaling_vectors import (
    PARSERS,
    SERVER_PARSERS,
    VECTORS_PATH,
    _to_json,
    build,
)

VECTORS: dict[str, Any] = json.loads(VECTORS_PATH.read_text())


def test_vector_file_matches_generator() -> None:
    assert build() == VECTORS


@pytest.mark.parametrize("case", VECTORS["valid"], ids=lambda c: f"{c['event']}-{c['name']}")
def test_valid_payload(case: dict[str, Any]) -> None:
    assert _to_json(PARSERS[case["event"]](case["payload"])) == case["parsed"]


@pytest.mark.parametrize("case", VECTORS["invalid"], ids=lambda c: f"{c['event']}-{c['name']}")
def test_invalid_payload(case: dict[str, Any]) -> None:
    with pytest.raises(schema.SchemaError) as caught:
        PARSERS[case["event"]](case["payload"])
    assert caught.value.code == case["code"]
    assert caught.value.code in schema.ERROR_CODES


@pytest.mark.parametrize("case", VECTORS["server_valid"], ids=lambda c: f"{c['event']}-{c['name']}")
def test_server_payload_parses(case: dict[str, Any]) -> None:
    assert _to_json(SERVER_PARSERS[case["event"]](case["payload"])) == case["parsed"]


@pytest.mark.parametrize(
    "case", VECTORS["server_invalid"], ids=lambda c: f"{c['event']}-{c['name']}"
)
def test_server_payload_refused(case: dict[str, Any]) -> None:
    with pytest.raises(schema.SchemaError) as caught:
        SERVER_PARSERS[case["event"]](case["payload"])
    assert caught.value.code == case["code"]


def test_builders_output_parses_back() -> None:
    entry = schema.NeighbourEntry("AbCdEfGh12", initiator=False, seeder=True)
    ack = schema.join_ack("Peer000001", "demo/720p", [entry], [], 5)
    assert schema.parse_join_ack(ack).neighbours == (entry,)
    update = schema.neighbours_event("demo/720p", [entry], ["Qwertyui00"])
    assert schema.parse_neighbours_event(update).remove == ("Qwertyui00",)
    request = schema.parse_signal(
        {"to": "AbCdEfGh12", "kind": "candidate", "data": {"candidate": ""}}
    )
    relayed = schema.parse_relayed_signal(schema.relayed_signal("Peer000001", request))
    assert relayed.from_peer == "Peer000001" and relayed.data == request.data


def test_candidate_is_normalized_to_known_keys() -> None:
    request = schema.parse_signal(
        {"to": "AbCdEfGh12", "kind": "candidate", "data": {"candidate": "c", "sdpMid": None}}
    )
    assert request.data == {"candidate": "c", "sdpMid": None, "sdpMLineIndex": None}


def test_builders() -> None:
    entry = schema.NeighbourEntry("AbCdEfGh12", initiator=True, seeder=False)
    ack = schema.join_ack("Peer000001", "demo/720p", [entry], [schema.IceServer(("stun:x",))], 5)
    assert ack == {
        "ok": True,
        "peer_id": "Peer000001",
        "swarm": "demo/720p",
        "neighbours": [{"peer_id": "AbCdEfGh12", "initiator": True, "seeder": False}],
        "ice_servers": [{"urls": ["stun:x"]}],
        "max_neighbours": 5,
    }
    assert schema.error_ack("banned", "x" * 500)["error"]["message"] == "x" * 200
    assert schema.neighbours_event("demo/720p", [], ["AbCdEfGh12"]) == {
        "swarm": "demo/720p",
        "add": [],
        "remove": ["AbCdEfGh12"],
    }


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)
likely_keys = st.sampled_from(
    [
        "to",
        "kind",
        "data",
        "type",
        "sdp",
        "candidate",
        "stream",
        "rendition",
        "capabilities",
        "peer_id",
        "reason",
        "seq",
        "token",
        "sdpMid",
        "sdpMLineIndex",
        "seeder",
    ]
)
near_valid = st.dictionaries(likely_keys, json_values, max_size=6)


@pytest.mark.parametrize(
    "event", sorted({**PARSERS, **{f"server-{k}": v for k, v in SERVER_PARSERS.items()}})
)
@given(payload=json_values | near_valid)
def test_any_payload_parses_or_raises_schema_error(event: str, payload: Any) -> None:
    parsers = {**PARSERS, **{f"server-{k}": v for k, v in SERVER_PARSERS.items()}}
    try:
        parsers[event](payload)
    except schema.SchemaError as error:
        # A failed ack passes the server's code through; our own refusals use known codes.
        relayed = isinstance(payload, dict) and payload.get("ok") is False
        assert error.code in schema.ERROR_CODES or relayed
