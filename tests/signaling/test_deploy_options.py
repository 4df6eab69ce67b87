"""Deployment options shared by `serve` and `signaling`: flags > env > TOML file > defaults,
bad values rejected with a message naming the option (stderr, exit 2)."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from swarmcast.server import serve_cmd
from swarmcast.server.cli import build_parser
from swarmcast.signaling import cli as signaling_cli
from swarmcast.signaling.deploy_options import (
    DeployConfigError,
    DeployOptions,
    load_deploy_options,
    origin_of,
    public_origins,
)

TOML = """
allowed_origins = ["https://www.example.com", "http://127.0.0.1:8081/"]
trusted_proxies = ["127.0.0.1", "10.0.0.0/8"]
public_url = "https://video.example.com/"
ice_servers = "stun:stun.example.com:3478"
turn_urls = ["turn:turn.example.com:3478"]
turn_secret = "turn-secret"
token_secret = "from-the-file-0123456789"
redis_url = "redis://127.0.0.1:6399/0"
"""


def serve_args(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(["serve", *argv])


def signaling_args(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(["signaling", *argv])


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "swarmcast.toml"
    path.write_text(text)
    return path


def test_defaults_without_anything() -> None:
    assert load_deploy_options(serve_args(), environ={}) == DeployOptions()


def test_toml_file_is_read_and_normalized(tmp_path: Path) -> None:
    path = write(tmp_path, TOML)
    options = load_deploy_options(serve_args("--config", str(path)), environ={})
    assert options.allowed_origins == ("https://www.example.com", "http://127.0.0.1:8081")
    assert options.trusted_proxies == ("127.0.0.1", "10.0.0.0/8")
    assert options.public_url == "https://video.example.com"
    assert options.ice_servers == ("stun:stun.example.com:3478",)
    assert options.token_secret == "from-the-file-0123456789"
    assert options.redis_url == "redis://127.0.0.1:6399/0"
    assert public_origins(options) == ("https://video.example.com",)
    # SWARMCAST_CONFIG names the file too, and both commands read the same options.
    env = {"SWARMCAST_CONFIG": str(path)}
    assert load_deploy_options(signaling_args(), environ=env) == options


def test_flag_beats_environment_beats_file(tmp_path: Path) -> None:
    path = write(tmp_path, TOML)
    env = {
        "SWARMCAST_CONFIG": str(path),
        "SWARMCAST_ALLOWED_ORIGINS": "https://a.example, https://b.example",
        "SWARMCAST_TOKEN_SECRET": "from-the-environment-012",
    }
    options = load_deploy_options(serve_args(), environ=env)
    assert options.allowed_origins == ("https://a.example", "https://b.example")
    assert options.token_secret == "from-the-environment-012"
    assert options.public_url == "https://video.example.com"  # from the file
    flagged = load_deploy_options(
        serve_args("--allowed-origin", "https://c.example", "--token-secret", "flag" * 4),
        environ=env,
    )
    assert flagged.allowed_origins == ("https://c.example",)
    assert flagged.token_secret == "flag" * 4


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('allowed_origin = ["https://a"]', "unknown key 'allowed_origin'"),
        ('allowed_origins = ["https://a.example/page"]', "no path"),
        ('allowed_origins = ["www.example.com"]', "not an http(s):// URL"),
        ('trusted_proxies = ["10.0.0.0/33"]', "not an address or network"),
        ('ice_servers = ["stun.example.com"]', "must start with stun:"),
        ('turn_urls = ["turn:t.example"]', "turn_urls need turn_secret"),
        ('token_secret = "short"', "at least 16 bytes"),
        ("public_url = 3", "must be a string"),
        ('redis_url = "localhost:6379"', "must start with redis://"),
        ("allowed_origins = [", "not valid TOML"),
    ],
)
def test_bad_file_values_are_refused(tmp_path: Path, toml: str, message: str) -> None:
    path = write(tmp_path, toml)
    with pytest.raises(DeployConfigError, match=re.escape(message)):
        load_deploy_options(serve_args("--config", str(path)), environ={})


def test_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DeployConfigError, match="cannot read config file"):
        load_deploy_options(serve_args("--config", str(tmp_path / "nope.toml")), environ={})


def test_origin_of_drops_default_ports_and_paths() -> None:
    assert origin_of("https://Video.Example.com:443/live/") == "https://video.example.com"
    assert origin_of("wss://sig.example.com:8443/socket.io/") == "https://sig.example.com:8443"
    assert origin_of("http://[::1]:8080") == "http://[::1]:8080"


@pytest.mark.parametrize("command", ["serve", "signaling"])
def test_bad_config_exits_2_with_the_reason_on_stderr(
    command: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for variable in ("SWARMCAST_CONFIG", "SWARMCAST_TOKEN_SECRET", "SWARMCAST_TURN_SECRET"):
        monkeypatch.delenv(variable, raising=False)
    path = write(tmp_path, 'trusted_proxies = ["not-a-network"]\ntoken_secret = "x" \n')
    args = build_parser().parse_args([command, "--config", str(path), "--port", "0"])
    run = serve_cmd.run if command == "serve" else signaling_cli.run
    assert run(args) == 2
    captured = capsys.readouterr()
    assert "trusted proxy 'not-a-network' is not an address or network" in captured.err
    assert captured.out == ""


def test_serve_hands_the_options_to_origin_and_embedded_signaling(tmp_path: Path) -> None:
    path = write(tmp_path, TOML)
    options = load_deploy_options(serve_args("--config", str(path)), environ={})
    origin = serve_cmd.origin_config_from_args(serve_args(), tmp_path, options)
    assert origin.token_secret == b"from-the-file-0123456789"
    assert origin.public_url == "https://video.example.com"
    assert origin.turn_urls == ("turn:turn.example.com:3478",)
    signaling = serve_cmd.embedded_signaling_config(options, origin)
    assert signaling.cors_allowed_origins == ("https://www.example.com", "http://127.0.0.1:8081")
    assert signaling.trusted_proxies == ("127.0.0.1", "10.0.0.0/8")
    assert signaling.public_origins == ("https://video.example.com",)
    assert signaling.turn_secret == "turn-secret" and signaling.turn_ttl_s == origin.turn_ttl_s
    assert signaling_cli.config_from_args(signaling_args("--config", str(path)), {}) == (
        signaling_cli.signaling_config(options)
    )


def test_relay_only_streams_from_flags_env_and_file(tmp_path: Path) -> None:
    path = write(tmp_path, TOML + 'relay_only_streams = ["private"]\n')
    options = load_deploy_options(serve_args("--config", str(path)), environ={})
    assert options.relay_only_streams == ("private",)
    origin = serve_cmd.origin_config_from_args(serve_args(), tmp_path, options)
    assert serve_cmd.embedded_signaling_config(options, origin).relay_only("private")
    env = {"SWARMCAST_TURN_URLS": "turn:t:3478", "SWARMCAST_TURN_SECRET": "s"}
    flags = serve_args("--relay-only-stream", "a", "--relay-only-stream", "*")
    assert load_deploy_options(flags, environ=env).relay_only_streams == ("a", "*")
    env["SWARMCAST_RELAY_ONLY_STREAMS"] = "b,c"
    assert load_deploy_options(serve_args(), environ=env).relay_only_streams == ("b", "c")
    with pytest.raises(DeployConfigError, match="need a TURN server"):
        load_deploy_options(serve_args("--relay-only-stream", "a"), environ={})
    with pytest.raises(DeployConfigError, match="not a stream name"):
        load_deploy_options(serve_args("--relay-only-stream", "a/b"), environ=env)
