"""Shared pytest configuration: tests that need a private network namespace skip outside one."""

from __future__ import annotations

import pytest

from swarmcast.e2e.lab.netns import in_private_netns


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
