"""Client addresses and the network prefixes the matcher groups peers by. Pure."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import TypeAlias

Network: TypeAlias = ipaddress.IPv4Network | ipaddress.IPv6Network
UNKNOWN_PREFIX = "unknown"


def parse_networks(specs: Iterable[str]) -> tuple[Network, ...]:
    """ "10.0.0.1" or "10.0.0.0/8" style specs; raises ValueError on a bad one."""
    return tuple(ipaddress.ip_network(spec.strip(), strict=False) for spec in specs)


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def client_address(
    remote: str | None, forwarded_for: str | None, trusted: tuple[Network, ...]
) -> str:
    """The client's address: the TCP peer, or, when that is a trusted proxy, the last
    X-Forwarded-For hop that is not itself a trusted proxy (hops further left are
    client-controlled and could be forged)."""
    peer = _ip(remote or "")
    if peer is None:
        return remote or ""
    if not forwarded_for or not any(peer in net for net in trusted):
        return str(peer)
    for hop in reversed(forwarded_for.split(",")):
        address = _ip(hop)
        if address is None:
            break  # garbage in the header: fall back to the last good answer
        peer = address
        if not any(address in net for net in trusted):
            break
    return str(peer)


def network_prefix(address: str) -> str:
    """IPv4 /24 or IPv6 /48 of `address` ("203.0.113.0/24"); "unknown" if unparseable."""
    ip = _ip(address)
    if ip is None:
        return UNKNOWN_PREFIX
    bits = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{bits}", strict=False))


def host_key(address: str) -> str:
    """What counts as one client for caps, reports and bans: the IPv4 address, or the IPv6
    /64 (one host or one home gets a whole /64, so its addresses are free to vary)."""
    ip = _ip(address)
    if ip is None:
        return address or UNKNOWN_PREFIX
    if ip.version == 4:
        return str(ip)
    return str(ipaddress.ip_network(f"{ip}/64", strict=False))


def host_in(host: str, networks: tuple[Network, ...]) -> bool:
    """Whether a `host_key` (an address, or an IPv6 /64) lies in one of `networks`."""
    try:
        net = ipaddress.ip_network(host, strict=False)
    except ValueError:
        return False
    return any(net.version == n.version and net.subnet_of(n) for n in networks)  # type: ignore[arg-type]


def address_in(address: str, networks: tuple[Network, ...]) -> bool:
    """Whether `address` lies in one of `networks` (False when unparseable)."""
    ip = _ip(address)
    return ip is not None and any(ip in net for net in networks)
