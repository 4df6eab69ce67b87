"""Deployment options shared by `swarmcast serve` and `swarmcast signaling` (docs/deploy.md).

Both commands take the same options — page origins allowed to use signaling, trusted reverse
proxies, the public URLs of origin and signaling, ICE/TURN, secrets, Redis — from flags, from
`SWARMCAST_*` environment variables, or from one TOML file (`--config FILE` or
`SWARMCAST_CONFIG`). A flag beats the environment, which beats the file, which beats the
defaults below. Every value is checked here, so a typo fails at start with a readable message
(the commands print it to stderr and exit 2) instead of silently refusing viewers later.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit


class DeployConfigError(ValueError):
    """A bad deployment option; the message names the option and says what is expected."""


@dataclass(frozen=True)
class DeployOptions:
    """Every default in one place; flags, environment and the TOML file only override."""

    # Page origins ("https://www.example.com") whose pages may use signaling; "*" = any.
    # The public URLs below and same-origin pages are always allowed.
    allowed_origins: tuple[str, ...] = ()
    # Addresses/networks of reverse proxies whose X-Forwarded-For (and -Proto/-Host) is trusted.
    trusted_proxies: tuple[str, ...] = ()
    # Where viewers reach the origin ("https://video.example.com"); "" = as they found it.
    public_url: str = ""
    # Where players find signaling; "" = the origin itself (serve embeds signaling).
    signaling_url: str = ""
    # STUN/TURN URLs handed to players, and TURN servers with REST credentials minted from
    # `turn_secret` (coturn --use-auth-secret). None by default: nothing should reach an
    # external STUN server unless the operator asks for it.
    ice_servers: tuple[str, ...] = ()
    turn_urls: tuple[str, ...] = ()
    turn_secret: str | None = None
    # Relay-only (privacy) streams ("*" = all): TURN relay candidates only, no viewer address
    # relayed (docs/deploy.md "Relay-only streams"). Needs turn_urls.
    relay_only_streams: tuple[str, ...] = ()
    # HMAC secret of viewer tokens, shared by every origin and signaling node (>= 16 bytes).
    token_secret: str | None = None
    # Share swarms among signaling nodes through Redis ("redis://host:port/db").
    redis_url: str | None = None


# option name -> (environment variable, checker); lists in the environment are comma separated.
_LISTS = ("allowed_origins", "trusted_proxies", "ice_servers", "turn_urls", "relay_only_streams")
ENV_VARS = {
    "allowed_origins": "SWARMCAST_ALLOWED_ORIGINS",
    "trusted_proxies": "SWARMCAST_TRUSTED_PROXIES",
    "public_url": "SWARMCAST_PUBLIC_URL",
    "signaling_url": "SWARMCAST_SIGNALING_URL",
    "ice_servers": "SWARMCAST_ICE_SERVERS",
    "turn_urls": "SWARMCAST_TURN_URLS",
    "turn_secret": "SWARMCAST_TURN_SECRET",
    "relay_only_streams": "SWARMCAST_RELAY_ONLY_STREAMS",
    "token_secret": "SWARMCAST_TOKEN_SECRET",
    "redis_url": "SWARMCAST_REDIS_URL",
}
CONFIG_ENV = "SWARMCAST_CONFIG"


def origin_of(url: str) -> str:
    """`scheme://host[:port]` of an http(s)/ws(s) URL, lower-cased, default ports dropped."""
    parts = urlsplit(url.strip())
    scheme = {"ws": "http", "wss": "https"}.get(parts.scheme.lower(), parts.scheme.lower())
    if scheme not in ("http", "https") or not parts.hostname:
        raise DeployConfigError(f"{url!r} is not an http(s):// URL")
    host = parts.hostname.lower()
    host = f"[{host}]" if ":" in host else host
    try:
        port = parts.port
    except ValueError as exc:
        raise DeployConfigError(f"{url!r} has a bad port") from exc
    if port is None or (scheme, port) in (("http", 80), ("https", 443)):
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def _check_origin(value: str) -> str:
    if value == "*":
        return value
    origin = origin_of(value)
    parts = urlsplit(value)
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        raise DeployConfigError(
            f"allowed origin {value!r} must be scheme://host[:port] only (no path), "
            "as browsers send it in the Origin header"
        )
    return origin


def _check_network(value: str) -> str:
    try:
        ipaddress.ip_network(value.strip(), strict=False)
    except ValueError as exc:
        raise DeployConfigError(f"trusted proxy {value!r} is not an address or network") from exc
    return value.strip()


def _check_url(value: str) -> str:
    if value:
        origin_of(value)  # raises for a non-http(s)/ws(s) URL
    return value.rstrip("/")


def _check_ice(value: str) -> str:
    if not value.startswith(("stun:", "stuns:", "turn:", "turns:")):
        raise DeployConfigError(
            f"ICE server {value!r} must start with stun:, stuns:, turn: or turns:"
        )
    return value


def _check_stream(value: str) -> str:
    if value != "*" and not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", value):
        raise DeployConfigError(f"relay-only stream {value!r} is not a stream name (or *)")
    return value


def _check_redis(value: str) -> str:
    if not value.startswith(("redis://", "rediss://", "unix://")):
        raise DeployConfigError(f"redis URL {value!r} must start with redis://, rediss://, unix://")
    return value


def _check_secret(value: str) -> str:
    return value


_CHECKS: dict[str, Callable[[str], str]] = {
    "allowed_origins": _check_origin,
    "trusted_proxies": _check_network,
    "public_url": _check_url,
    "signaling_url": _check_url,
    "ice_servers": _check_ice,
    "turn_urls": _check_ice,
    "turn_secret": _check_secret,
    "relay_only_streams": _check_stream,
    "token_secret": _check_secret,
    "redis_url": _check_redis,
}


def add_deploy_arguments(parser: argparse.ArgumentParser) -> None:
    """The shared flags (`dest` = option name); absent flags leave the value unset (None)."""
    group = parser.add_argument_group(
        "deployment (also SWARMCAST_* variables or a TOML file; docs/deploy.md)"
    )
    group.add_argument("--config", type=Path, metavar="FILE", help=f"TOML file (or {CONFIG_ENV})")
    group.add_argument(
        "--allowed-origin",
        "--cors-origin",
        dest="allowed_origins",
        action="append",
        metavar="ORIGIN",
        help="page origin allowed to use signaling, e.g. https://www.example.com (repeatable; "
        "'*' = any; default: same origin and the public URLs only)",
    )
    group.add_argument(
        "--trusted-proxy",
        dest="trusted_proxies",
        action="append",
        metavar="NET",
        help="reverse proxy address/network whose X-Forwarded-For is trusted (repeatable)",
    )
    group.add_argument("--public-url", metavar="URL", help="the origin's public URL")
    group.add_argument(
        "--signaling-url", metavar="URL", help="signaling's public URL (default: the origin)"
    )
    group.add_argument(
        "--ice-server",
        dest="ice_servers",
        action="append",
        metavar="URL",
        help="STUN/TURN URL handed to players (repeatable; none by default)",
    )
    group.add_argument(
        "--turn-url",
        dest="turn_urls",
        action="append",
        metavar="URL",
        help="TURN URL with REST credentials from --turn-secret (repeatable)",
    )
    group.add_argument("--turn-secret", help="coturn static-auth-secret (or SWARMCAST_TURN_SECRET)")
    group.add_argument(
        "--relay-only-stream",
        dest="relay_only_streams",
        action="append",
        metavar="STREAM",
        help="privacy: peers of STREAM use TURN relay only and never see each other's "
        "addresses (repeatable; * = every stream; needs --turn-url)",
    )
    group.add_argument("--token-secret", help="viewer token secret (or SWARMCAST_TOKEN_SECRET)")
    group.add_argument(
        "--redis",
        dest="redis_url",
        metavar="URL",
        help="share swarms with other signaling nodes through Redis (redis://host:port/db)",
    )


def _from_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as file:
            data = tomllib.load(file)
    except OSError as exc:
        raise DeployConfigError(f"cannot read config file {path}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise DeployConfigError(f"config file {path} is not valid TOML: {exc}") from exc
    unknown = sorted(set(data) - set(ENV_VARS))
    if unknown:
        raise DeployConfigError(
            f"unknown key {unknown[0]!r} in {path} (known: {', '.join(sorted(ENV_VARS))})"
        )
    values: dict[str, Any] = {}
    for name, value in data.items():
        if name in _LISTS:
            if isinstance(value, str):
                value = [value]
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise DeployConfigError(f"{name} in {path} must be a list of strings")
        elif not isinstance(value, str):
            raise DeployConfigError(f"{name} in {path} must be a string")
        values[name] = value
    return values


def _from_env(environ: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, variable in ENV_VARS.items():
        text = environ.get(variable)
        if text is None or text == "":
            continue
        values[name] = [v.strip() for v in text.split(",") if v.strip()] if name in _LISTS else text
    return values


def load_deploy_options(
    args: argparse.Namespace, environ: Mapping[str, str] | None = None
) -> DeployOptions:
    """Flags > environment > TOML file > defaults; raises DeployConfigError on a bad value."""
    environ = os.environ if environ is None else environ
    merged: dict[str, Any] = {}
    config_path = getattr(args, "config", None) or environ.get(CONFIG_ENV)
    if config_path:
        merged.update(_from_file(Path(config_path)))
    merged.update(_from_env(environ))
    for field in fields(DeployOptions):
        flag = getattr(args, field.name, None)
        if flag is not None and flag != []:
            merged[field.name] = flag
    checked: dict[str, Any] = {}
    for name, value in merged.items():
        check = _CHECKS[name]
        checked[name] = tuple(check(v) for v in value) if name in _LISTS else check(value)
    options = DeployOptions(**checked)
    if options.turn_urls and not options.turn_secret:
        raise DeployConfigError(
            "turn_urls need turn_secret (--turn-secret or SWARMCAST_TURN_SECRET)"
        )
    if options.relay_only_streams and not options.turn_urls:
        raise DeployConfigError("relay-only streams need a TURN server (--turn-url)")
    if options.token_secret is not None and len(options.token_secret.encode()) < 16:
        raise DeployConfigError("token_secret must be at least 16 bytes")
    return options


def public_origins(options: DeployOptions) -> tuple[str, ...]:
    """Origins of the public URLs: pages served from there may always use signaling."""
    return tuple(origin_of(url) for url in (options.public_url, options.signaling_url) if url)
