"""The operator's per-stream switches (docs/operator.md): kill switch, ramp-up %, shadow mode,
upload policy. Kept in memory, or in Redis (`sc:control:{stream}`) when several signaling nodes
share swarms, so every node hands viewers the same control."""

from __future__ import annotations

import dataclasses
import json
from typing import Any, Protocol

import redis.asyncio as aioredis

from swarmcast.protocol.beacon_schema import Control, UploadPolicy, parse_control
from swarmcast.protocol.signaling_schema import SchemaError


def apply_changes(current: Control, changes: object) -> Control:
    """`current` with an operator's partial update (`{p2p?, ramp_percent?, shadow?, upload?}`,
    upload itself partial) and the next version; SchemaError when a value is invalid."""
    if not isinstance(changes, dict):
        raise SchemaError("control changes must be a JSON object")
    allowed = {"p2p", "ramp_percent", "shadow", "upload"}
    unknown = changes.keys() - allowed
    if unknown:
        raise SchemaError(f"unknown control keys: {', '.join(sorted(map(str, unknown))[:5])}")
    merged: dict[str, Any] = current.to_json()
    upload = changes.get("upload")
    if upload is not None:
        if not isinstance(upload, dict):
            raise SchemaError("control.upload must be a JSON object")
        merged["upload"] = {**merged["upload"], **upload}
    for key in ("p2p", "ramp_percent", "shadow"):
        if key in changes:
            merged[key] = changes[key]
    merged["version"] = current.version + 1
    return parse_control(merged)


class ControlStore(Protocol):
    async def get(self, stream: str) -> Control: ...

    async def put(self, control: Control) -> None: ...


class InMemoryControlStore:
    def __init__(self, default: Control | None = None) -> None:
        self._controls: dict[str, Control] = {}
        self._default = default

    async def get(self, stream: str) -> Control:
        control = self._controls.get(stream)
        if control is not None:
            return control
        base = self._default or Control(stream=stream, version=0)
        return dataclasses.replace(base, stream=stream)

    async def put(self, control: Control) -> None:
        self._controls[control.stream] = control


class RedisControlStore:
    """Controls in Redis: `{prefix}control:{stream}` holds the control's JSON."""

    def __init__(self, client: aioredis.Redis, *, prefix: str = "sc:") -> None:
        self._redis = client
        self._prefix = prefix

    async def get(self, stream: str) -> Control:
        raw = await self._redis.get(f"{self._prefix}control:{stream}")
        if raw is None:
            return Control(stream=stream, version=0)
        return parse_control(json.loads(raw))

    async def put(self, control: Control) -> None:
        await self._redis.set(
            f"{self._prefix}control:{control.stream}", json.dumps(control.to_json())
        )


__all__ = [
    "Control",
    "ControlStore",
    "InMemoryControlStore",
    "RedisControlStore",
    "UploadPolicy",
    "apply_changes",
]
