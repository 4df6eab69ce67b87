"""swarmcast: peer-assisted live video streaming (the `swarmcast` command is
`swarmcast.server.cli`)."""

from __future__ import annotations

from importlib import metadata

try:
    __version__ = metadata.version("swarmcast")
except metadata.PackageNotFoundError:  # a checkout that was never installed
    __version__ = "0+unknown"
