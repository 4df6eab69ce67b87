"""Shared pytest configuration: tests that need a private network namespace skip outside one."""

from __future__ import annotations

import os

import pytest


def in_private_netns() -> bool:
    """True inside a network namespace other than init's (see scripts/in-netns.sh)."""
    if os.environ.get("SWARMCAST_NETNS") == "1":
        return True
    try:
        return os.readlink("/proc/self/ns/net") != os.readlink("/proc/1/ns/net")
    except OSError:
        return False


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if in_private_netns():
        return
    skip = pytest.mark.skip(
        reason="needs a private network namespace: run via `make test` "
        "or `scripts/in-netns.sh .venv/bin/pytest ...`"
    )
    for item in items:
        if "netns" in item.keywords:
            item.add_marker(skip)
