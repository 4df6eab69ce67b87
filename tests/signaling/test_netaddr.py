"""signaling.netaddr: client addresses behind trusted proxies, and network prefixes."""

from __future__ import annotations

import pytest

from swarmcast.signaling.netaddr import address_in, client_address, network_prefix, parse_networks

TRUSTED = parse_networks(["127.0.0.1", "10.0.0.0/8"])


@pytest.mark.parametrize(
    ("address", "prefix"),
    [
        ("203.0.113.77", "203.0.113.0/24"),
        ("::ffff:198.51.100.9", "198.51.100.0/24"),
        ("2001:db8:1:2::5", "2001:db8:1::/48"),
        ("[2001:db8:abcd::1]", "2001:db8:abcd::/48"),
        ("not-an-ip", "unknown"),
        ("", "unknown"),
    ],
)
def test_network_prefix(address: str, prefix: str) -> None:
    assert network_prefix(address) == prefix


def test_untrusted_peer_cannot_set_forwarded_for() -> None:
    assert client_address("198.51.100.1", "203.0.113.5", TRUSTED) == "198.51.100.1"


def test_trusted_proxy_uses_last_untrusted_hop() -> None:
    assert client_address("127.0.0.1", "1.2.3.4, 203.0.113.5, 10.1.1.1", TRUSTED) == "203.0.113.5"


def test_trusted_proxy_without_header() -> None:
    assert client_address("127.0.0.1", None, TRUSTED) == "127.0.0.1"


def test_garbage_hop_stops_the_walk() -> None:
    assert client_address("127.0.0.1", "203.0.113.5, junk", TRUSTED) == "127.0.0.1"


def test_all_hops_trusted_gives_the_leftmost() -> None:
    assert client_address("127.0.0.1", "10.0.0.2, 10.0.0.3", TRUSTED) == "10.0.0.2"


def test_unparseable_remote_is_returned_as_is() -> None:
    assert client_address(None, "1.2.3.4", TRUSTED) == ""


def test_address_in() -> None:
    assert address_in("10.2.3.4", TRUSTED) and address_in("::ffff:127.0.0.1", TRUSTED)
    assert not address_in("192.0.2.1", TRUSTED) and not address_in("junk", TRUSTED)
