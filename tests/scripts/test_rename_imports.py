"""scripts/rename-imports.py on a small fake checkout: imports, module strings and logger names
move under `swarmcast.`, file names and other strings do not; a second run changes nothing."""

from __future__ import annotations

import importlib.util
import textwrap
from pathlib import Path
from types import ModuleType

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "rename-imports.py"


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("rename_imports", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fake_checkout(root: Path) -> None:
    for package in ("server", "protocol", "bench", "swarmcast"):
        (root / package).mkdir()
        (root / package / "__init__.py").write_text("")
    (root / "server" / "cli.py").write_text(
        textwrap.dedent(
            """\
            import logging
            from swarmcast.protocol.tokens import mint
            from swarmcast.server import cli
            COMMANDS = ("swarmcast.server.cli", "swarmcast.bench.{x}")
            BENCH = f"swarmcast.bench.{name}_bench"
            DOC = "protocol.md"
            log = logging.getLogger("bench.lab")
            def f(caplog):
                caplog.set_level(logging.INFO, logger="swarmcast.server")
            """
        )
    )
    (root / "protocol" / "tokens.py").write_text("")
    (root / "pyproject.toml").write_text(
        textwrap.dedent(
            """\
            [project.optional-dependencies]
            bench = ["matplotlib"]
            [project.scripts]
            swarmcast = "server.cli:main"
            [tool.setuptools.packages.find]
            include = ["swarmcast*", "protocol*", "server*"]
            [tool.setuptools.package-data]
            server = ["static/*"]
            [[tool.mypy.overrides]]
            module = ["protocol.*"]
            """
        )
    )
    (root / "Makefile").write_text("lint:\n\t$(BIN)/mypy protocol server\n")


def test_rewrites_and_is_idempotent(tmp_path: Path) -> None:
    script = load_script()
    fake_checkout(tmp_path)
    assert script.main([str(tmp_path)]) == 0
    cli = (tmp_path / "server" / "cli.py").read_text()
    assert "from swarmcast.protocol.tokens import mint" in cli
    assert "from swarmcast.server import cli" in cli
    assert '("swarmcast.server.cli", "swarmcast.bench.{x}")' in cli
    assert 'f"swarmcast.bench.{name}_bench"' in cli
    assert '"protocol.md"' in cli and 'getLogger("bench.lab")' in cli  # not modules
    assert 'logger="swarmcast.server"' in cli
    pyproject = (tmp_path / "pyproject.toml").read_text()
    assert 'bench = ["matplotlib"]' in pyproject  # an extra, not a package
    assert 'swarmcast = "swarmcast.server.cli:main"' in pyproject
    assert 'include = ["swarmcast*"]' in pyproject
    assert '"swarmcast.server" = ["static/*"]' in pyproject
    assert 'module = ["swarmcast.protocol.*"]' in pyproject
    assert "mypy -p swarmcast.protocol -p swarmcast.server" in (tmp_path / "Makefile").read_text()
    link = tmp_path / "swarmcast" / "server"
    assert link.is_symlink() and (link / "cli.py").read_text() == cli
    assert script.main([str(tmp_path), "--check"]) == 0  # nothing left to do
