"""Shared pytest configuration: tests that need a private network namespace skip outside one;
Hypothesis runs the same examples every time, with no wall-clock limit."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings

from swarmcast.e2e.lab.netns import in_private_netns

# Property tests must not pass or fail on this machine's speed or on the run's luck: Hypothesis's
# default 200 ms deadline per example and its too_slow health check are wall-clock (CI shares
# two cores with browsers; one late example fails the run as DeadlineExceeded or "Flaky"), and
# without derandomize each run draws new examples, so a run could fail where the last passed on
# the same code. Each test keeps its own example count; every run now tries the same examples.
settings.register_profile(
    "swarmcast", deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
settings.load_profile("swarmcast")


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
