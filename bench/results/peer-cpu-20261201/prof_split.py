"""Split a viewer's cProfile (CPU time, `swarmcast bench viewers --cprofile`) by package: each
function's own time, with a C builtin's time charged to the package of its callers. Usage:
python prof_split.py FILE.prof [TOP]"""

from __future__ import annotations

import collections
import pstats
import sys


def package(filename: str) -> str:
    if "site-packages/" in filename:
        return filename.split("site-packages/", 1)[1].split("/", 1)[0]
    for marker in ("/peer/", "/protocol/", "/bench/", "/e2e/"):
        if marker in filename and "python3.11" not in filename:
            return "swarmcast" + marker.rstrip("/")
    if "importlib" in filename or filename.startswith("<frozen"):
        return "import"
    if "python3.11/" in filename:
        return "stdlib:" + filename.split("python3.11/", 1)[1].split("/", 1)[0].removesuffix(".py")
    return filename


def main() -> None:
    stats = pstats.Stats(sys.argv[1]).stats  # type: ignore[attr-defined]
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 30
    by_pkg: collections.Counter[str] = collections.Counter()
    by_func: collections.Counter[str] = collections.Counter()
    for (filename, line, name), (_, _, tottime, _, callers) in stats.items():
        if filename == "~":  # a C builtin: charge its callers' packages by their share
            total = sum(c[2] for c in callers.values()) or 1.0
            for (cf, _, _), c in callers.items():
                by_pkg[package(cf)] += tottime * c[2] / total
            by_func[f"C {name}"] += tottime
            continue
        by_pkg[package(filename)] += tottime
        by_func[f"{package(filename)} {filename.rsplit('/', 1)[-1]}:{line}({name})"] += tottime
    total = sum(by_pkg.values())
    print(f"CPU seconds profiled: {total:.3f}")
    for key, value in by_pkg.most_common(top):
        print(f"{100 * value / total:5.1f}%  {value:6.3f}  {key}")
    print()
    for key, value in by_func.most_common(top):
        print(f"{100 * value / total:5.1f}%  {value:6.3f}  {key}")


if __name__ == "__main__":
    main()
