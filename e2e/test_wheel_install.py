"""The wheel as a user gets it (issue 10): built from a copy of the source tree, installed into
a fresh virtualenv without the dev or bench extras, every command starts, `swarmcast serve`
streams and serves the shim bundle the wheel carries. Offline: the wheel is built without
build isolation and its runtime dependencies (the closure of its `Requires-Dist`, nothing
else) are linked in from the test's own environment, so no package index is needed."""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
import venv
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from swarmcast.e2e.browser import ensure_shim_bundle
from swarmcast.e2e.serve_process import REPO, http_get, serve_live

pytestmark = [pytest.mark.slow]

# Top-level import names the wheel may install.
TOP_LEVEL = {"swarmcast"}
SKIP_IN_COPY = shutil.ignore_patterns(
    ".git", ".venv", "node_modules", "var", "build", "*.egg-info", "__pycache__", ".*_cache",
    "results", "tests", "dist",
)  # fmt: skip


def run(argv: list[str], cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=timeout)


def runtime_closure(root: str) -> list[metadata.Distribution]:
    """The installed distributions `root` needs without extras (its declared dependencies,
    recursively): what `pip install swarmcast` would have installed."""
    seen: dict[str, metadata.Distribution] = {}
    queue = [Requirement(text) for text in metadata.requires(root) or []]
    while queue:
        requirement = queue.pop()
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
            continue
        name = requirement.name.lower().replace("_", "-")
        if name in seen:
            continue
        dist = metadata.distribution(requirement.name)
        seen[name] = dist
        queue.extend(Requirement(text) for text in dist.requires or [])
    return list(seen.values())


def link_dependencies(site: Path) -> None:
    """Symlink each runtime dependency's top-level files into the fresh venv's site-packages."""
    for dist in runtime_closure("swarmcast"):
        base = Path(str(dist.locate_file("")))
        for entry in {Path(str(f)).parts[0] for f in dist.files or []}:
            if entry in ("..", "__pycache__") or entry.endswith(".pth"):
                continue
            target = site / entry
            if not target.exists() and (base / entry).exists():
                target.symlink_to(base / entry)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv holding the freshly built wheel and its runtime dependencies only."""
    ensure_shim_bundle()
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "src"
    shutil.copytree(REPO, source, ignore=SKIP_IN_COPY, symlinks=True)
    built = run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
         "-q", "-w", str(tmp / "dist"), str(source)],
        cwd=tmp,
        timeout=300,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr[-3000:]
    (wheel,) = (tmp / "dist").glob("swarmcast-*.whl")
    env_dir = tmp / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    done = run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
         "--no-index", "--no-compile", "-q", str(wheel)],
        cwd=tmp,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    where = "import sysconfig; print(sysconfig.get_path('purelib'))"
    purelib = run([str(python), "-c", where], tmp)
    link_dependencies(Path(purelib.stdout.strip()))
    assert sysconfig.get_path("purelib") != purelib.stdout.strip()
    return env_dir


def test_wheel_installs_its_packages_only(installed: Path) -> None:
    python = installed / "bin" / "python"
    listing = run(
        [str(python), "-c",
         "from importlib import metadata; print('\\n'.join(str(f) for f in "
         "metadata.distribution('swarmcast').files))"],
        cwd=installed,
    )  # fmt: skip
    files = listing.stdout.split()
    top = {f.split("/")[0] for f in files if not f.split("/")[0].endswith(".dist-info")}
    top.discard("..")  # the console script in bin/
    assert top <= TOP_LEVEL, top - TOP_LEVEL
    assert "swarmcast/player/swarmcast.js" in files, "the wheel carries the shim bundle"
    assert not any(f.startswith("tests/") for f in files)


def test_every_command_starts_without_the_dev_extra(installed: Path) -> None:
    swarmcast = str(installed / "bin" / "swarmcast")
    python = str(installed / "bin" / "python")
    assert run([python, "-c", "import matplotlib"], installed).returncode != 0
    assert run([python, "-c", "import pytest"], installed).returncode != 0
    version = run([swarmcast, "--version"], installed)
    assert version.returncode == 0 and version.stdout.startswith("swarmcast "), version.stderr
    assert run([python, "-m", "swarmcast", "--version"], installed).stdout == version.stdout
    for command in ("serve", "segment", "signaling", "peer"):
        result = run([swarmcast, command, "--help"], installed)
        assert result.returncode == 0, (command, result.stderr[-2000:])
    bench = run([swarmcast, "bench", "all"], installed)
    assert bench.returncode == 2 and "swarmcast[bench]" in bench.stderr, bench.stderr[-2000:]


@pytest.mark.netns
def test_installed_serve_streams_and_serves_the_bundle(installed: Path) -> None:
    with serve_live(
        installed / "live",
        stream="wheel",
        ladder="320x180@200",
        rendition="180p",
        ready_segments=2,
        extra_args=["--segment-duration", "1"],
        command=[str(installed / "bin" / "swarmcast"), "serve"],
        cwd=installed,  # not the checkout: nothing may come from it
    ) as server:
        playlist = http_get(server.playlist("180p")).decode()
        segment = next(line for line in playlist.splitlines() if line.endswith(".m4s"))
        assert len(http_get(f"{server.url}live/wheel/180p/{segment}")) > 1000
        bundle = http_get(f"{server.url}player/swarmcast.js")
        assert bundle == (REPO / "swarmcast" / "player" / "swarmcast.js").read_bytes()
