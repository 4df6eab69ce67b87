"""The lab's net-log diagnosis (`e2e.lab.viewer_worker.net_log_flags`): with
`SWARMCAST_LAB_NETLOG_DIR` set, a named viewer's Chromium writes its net log there; the warm-up
and an unnamed viewer do not, and without the variable no flag is added."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from swarmcast.e2e.lab.viewer_worker import NET_LOG_DIR_ENV, net_log_flags


def viewer(name: str | None, warmup: bool = False) -> argparse.Namespace:
    return argparse.Namespace(name=name, warmup=warmup)


def test_named_viewer_logs_into_the_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = tmp_path / "netlogs"
    monkeypatch.setenv(NET_LOG_DIR_ENV, str(directory))
    assert net_log_flags(viewer("p2p-b03")) == [
        f"--log-net-log={directory / 'p2p-b03.netlog.json'}"
    ]
    assert directory.is_dir()  # created: Chromium does not create it


def test_no_log_for_the_warm_up_an_unnamed_viewer_or_when_unset(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(NET_LOG_DIR_ENV, str(tmp_path))
    assert net_log_flags(viewer("p2p-b03", warmup=True)) == []
    assert net_log_flags(viewer(None)) == []
    monkeypatch.delenv(NET_LOG_DIR_ENV)
    assert net_log_flags(viewer("p2p-b03")) == []
