"""deploy/grafana/swarmcast.json only queries metrics that an origin with signaling exports."""

from __future__ import annotations

import json
import re
from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from swarmcast.server.origin_app import create_app
from swarmcast.server.origin_keys import TOKEN_SECRET_KEY
from swarmcast.signaling.attach import attach_signaling
from swarmcast.signaling.config import SignalingConfig
from tests.server.conftest import make_config

DASHBOARD = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "swarmcast.json"
SUFFIXES = ("_total", "_bucket", "_count", "_sum", "_created")


def _family(name: str) -> str:
    for suffix in SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


async def test_every_dashboard_metric_is_exported(streams_dir: Path) -> None:
    def setup(app: web.Application) -> None:
        attach_signaling(app, SignalingConfig(), app[TOKEN_SECRET_KEY])

    dashboard = json.loads(DASHBOARD.read_text())
    used = {
        _family(name)
        for panel in dashboard["panels"]
        for target in panel["targets"]
        for name in re.findall(r"swarmcast_[a-z0-9_]+", target["expr"])
    }
    used |= {
        _family(n) for n in re.findall(r"swarmcast_[a-z0-9_]+", json.dumps(dashboard["templating"]))
    }
    app = create_app(make_config(streams_dir), extra_setup=[setup])
    async with TestClient(TestServer(app)) as client:
        text = await (await client.get("/metrics")).text()
    exported = {_family(n) for n in re.findall(r"^# TYPE (\S+)", text, re.M)}
    assert used, "no metric in the dashboard?"
    assert used <= exported, sorted(used - exported)
