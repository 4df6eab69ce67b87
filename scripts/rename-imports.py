#!/usr/bin/env python3
"""Map the component folders under one `swarmcast` import package (issue 10), in place.

The folders stay where the project layout has them (`protocol/`, `server/`, ...); the package
`swarmcast/` gets a relative symlink to each (`swarmcast/protocol -> ../protocol`), so that
`swarmcast.protocol` is a real path for Python, mypy and setuptools (a wheel then installs only
`swarmcast/`). Every Python import and every string naming a module (`-m server.cli`,
`importlib.import_module("bench.cli")`) is rewritten to the `swarmcast.` name, as are
pyproject.toml's entry point, package data and mypy overrides and the Makefile's mypy call.

Deterministic and idempotent: run it again after rebasing a branch onto the renamed main and it
rewrites only what that branch added. `--check` lists what would change and exits 1 if anything.

    python3 scripts/rename-imports.py [--check] [REPO]
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

PACKAGE = "swarmcast"
COMPONENTS = ("protocol", "segmenter", "server", "signaling", "peer", "bench", "e2e")
# os.walk does not follow symlinks, so swarmcast/<component> links are not visited twice.
SKIP_DIRS = {".git", ".venv", "node_modules", "build", "dist", "var", "__pycache__"}
_NAMES = "|".join(COMPONENTS)
# `from server.x import y`, `from server import y`, `import server.x` (at any indentation).
FROM_IMPORT = re.compile(rf"^(\s*from\s+)({_NAMES})(?=[\s.])", re.MULTILINE)
PLAIN_IMPORT = re.compile(rf"^(\s*import\s+)({_NAMES})((?:\.\w+)*)(\s+as\s+\w+)?\s*$", re.MULTILINE)
# A string literal naming a module: "server.cli", f"bench.{name}_bench".
MODULE_STRING = re.compile(
    rf"""(?<!\w)(?P<prefix>f?)(?P<quote>["'])(?P<name>({_NAMES})(\.[\w{{}}]+)+)(?P=quote)"""
)


# caplog.set_level(..., logger="segmenter"): loggers are named after modules (`__name__`).
LOGGER_KWARG = re.compile(
    rf"""(?P<head>\blogger\s*=\s*)(?P<quote>["'])(?P<name>({_NAMES})(\.\w+)*)(?P=quote)"""
)


def module_exists(repo: Path, dotted: str) -> bool:
    """Whether a dotted name is a module or package of the repo (f-string parts match any)."""
    parts = dotted.split(".")
    if any("{" in part for part in parts):
        return (repo / parts[0]).is_dir()
    path = repo.joinpath(*parts)
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def rewrite_python(text: str, repo: Path) -> str:
    text = FROM_IMPORT.sub(lambda m: f"{m[1]}{PACKAGE}.{m[2]}", text)

    def plain(match: re.Match[str]) -> str:
        # `import server.cli` would need every use renamed too: not done automatically.
        raise SystemExit(f"rename-imports: rewrite {match[0].strip()!r} by hand (use from-import)")

    def string(match: re.Match[str]) -> str:
        name = match["name"]
        if not module_exists(repo, name):
            return match[0]  # "protocol.md", a logger name: not a module
        return f"{match['prefix']}{match['quote']}{PACKAGE}.{name}{match['quote']}"

    text = MODULE_STRING.sub(string, text)

    def logger(match: re.Match[str]) -> str:
        name = match["name"]
        if not module_exists(repo, name) or ("." in name and match[0].startswith(PACKAGE)):
            return match[0]
        return f"{match['head']}{match['quote']}{PACKAGE}.{name}{match['quote']}"

    return LOGGER_KWARG.sub(logger, text)


def rewrite_pyproject(text: str) -> str:
    text = re.sub(
        r'^swarmcast = "server\.cli:main"$',
        f'swarmcast = "{PACKAGE}.server.cli:main"',
        text,
        flags=re.MULTILINE,
    )
    text = re.sub(r"^include = \[[^\]]*\]$", f'include = ["{PACKAGE}*"]', text, flags=re.MULTILINE)
    # package data: `server = ["static/*"]` -> `"swarmcast.server" = ["static/*"]` (only in
    # that table: `bench = [...]` among the optional dependencies is an extra, not a package)
    head, sep, rest = text.partition("[tool.setuptools.package-data]")
    if sep:
        table, nxt, tail = rest.partition("\n[")
        table = re.sub(rf"^({_NAMES}) = \[", rf'"{PACKAGE}.\1" = [', table, flags=re.MULTILINE)
        text = head + sep + table + nxt + tail
    return re.sub(rf'"({_NAMES})\.\*"', rf'"{PACKAGE}.\1.*"', text)


def rewrite_makefile(text: str) -> str:
    """`mypy protocol peer ...` -> `mypy -p swarmcast.protocol -p swarmcast.peer ...`."""

    def packages(match: re.Match[str]) -> str:
        names = match[2].split()
        return match[1] + "".join(f" -p {PACKAGE}.{name}" for name in names)

    return re.sub(
        rf"^(\t\$\(BIN\)/mypy)((?:\s+(?:{_NAMES}))+)\s*$", packages, text, flags=re.MULTILINE
    )


def python_files(repo: Path) -> list[Path]:
    files = []
    for root, dirs, names in os.walk(repo):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
        files += [Path(root) / n for n in sorted(names) if n.endswith(".py")]
    return files


def plan(repo: Path) -> dict[Path, str]:
    """New contents of every file that changes (symlinks are made separately)."""
    changes: dict[Path, str] = {}
    for path in python_files(repo):
        if path == Path(__file__).resolve():
            continue  # this script names the old modules on purpose
        text = path.read_text()
        new = rewrite_python(text, repo)
        if new != text:
            changes[path] = new
    for name, rewrite in (("pyproject.toml", rewrite_pyproject), ("Makefile", rewrite_makefile)):
        path = repo / name
        text = path.read_text()
        new = rewrite(text)
        if new != text:
            changes[path] = new
    return changes


def missing_links(repo: Path) -> list[Path]:
    return [repo / PACKAGE / c for c in COMPONENTS if not (repo / PACKAGE / c).is_symlink()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "repo", nargs="?", type=Path, default=Path(__file__).resolve().parent.parent
    )
    parser.add_argument("--check", action="store_true", help="list changes, change nothing")
    args = parser.parse_args(argv)
    repo = args.repo.resolve()
    changes, links = plan(repo), missing_links(repo)
    for path in sorted(changes):
        print(f"rewrite {path.relative_to(repo)}")
    for link in links:
        print(f"link {link.relative_to(repo)} -> ../{link.name}")
    if args.check:
        return 1 if changes or links else 0
    for path, text in changes.items():
        path.write_text(text)
    for link in links:
        link.symlink_to(Path("..") / link.name, target_is_directory=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
